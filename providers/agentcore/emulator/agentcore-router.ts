import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { handleControlRequest, playTransportFault, RequestBodyError, sendJson, type ControlContext, type Fault } from '#libs/emulator-kit';
import { AgentCoreApiError, errorTypeForStatus } from './api-errors.js';
import { getAgentRuntime, invokeRuntime, stopRuntimeSession, type RouteCall, type RouteServices } from './runtime-routes.js';

interface Route {
  method: 'GET' | 'POST';
  pattern: RegExp;
  /** The operation name for stats and faults. */
  op: 'invoke' | 'stop' | 'getAgentRuntime';
  /** Whether the handler plays `delay`/`truncate`/`stall` itself (it streams). */
  streams: boolean;
  handle(call: RouteCall, services: RouteServices): Promise<void> | void;
}

/** The identifier is ONE percent-encoded path segment: an ARN's `/` arrives as %2F and must not split it. */
const routes: Route[] = [
  { method: 'POST', pattern: /^\/runtimes\/([^/]+)\/invocations$/, op: 'invoke', streams: true, handle: invokeRuntime },
  { method: 'POST', pattern: /^\/runtimes\/([^/]+)\/stopruntimesession$/, op: 'stop', streams: false, handle: stopRuntimeSession },
  { method: 'GET', pattern: /^\/runtimes\/([^/]+)\/$/, op: 'getAgentRuntime', streams: false, handle: getAgentRuntime },
];

/**
 * The emulator's front door: the `/_emulator/` control plane, then SigV4
 * presence (an `authorization` header; signatures are not checked), the
 * route, a stats count, the operation's next fault, the handler. Every
 * response carries `x-amzn-requestid`; failures carry `x-amzn-errortype` and
 * `{"message"}` as AgentCore's do.
 */
export function createRouter(services: RouteServices & ControlContext): RequestListener {
  return (req, res) => {
    const requestId = randomUUID();
    res.setHeader('x-amzn-requestid', requestId);
    handle(req, res, requestId, services).catch((error: unknown) => renderError(res, error, services));
  };
}

async function handle(req: IncomingMessage, res: ServerResponse, requestId: string, services: RouteServices & ControlContext): Promise<void> {
  if (await handleControlRequest(req, res, services)) return;
  const url = new URL(req.url ?? '/', 'http://emulator');
  if (!/^AWS4-HMAC-SHA256 Credential=\S+/.test(req.headers.authorization ?? '')) {
    throw new AgentCoreApiError(403, 'Missing Authentication Token', {}, 'MissingAuthenticationTokenException');
  }
  const route = routes.find((candidate) => candidate.method === req.method && candidate.pattern.test(url.pathname));
  if (!route) throw new AgentCoreApiError(404, `no operation ${req.method} ${url.pathname}`, {}, 'ResourceNotFoundException');
  services.stats.count(route.op);
  const fault = services.faults.take(route.op);
  if (fault && (await playFault(fault, route, res, requestId)) === 'answered') return;
  const identifier = decodeURIComponent(route.pattern.exec(url.pathname)![1]);
  await route.handle({ req, res, url, identifier, requestId, fault: route.streams ? fault : undefined }, services);
}

/**
 * `status` answers with that error before any work (the agent never runs);
 * for a streaming route the other kinds shape the stream; otherwise `delay`
 * waits then does the work, `stall` never answers, `truncate` drops the connection.
 */
async function playFault(fault: Fault, route: Route, res: ServerResponse, requestId: string): Promise<'answered' | 'continue'> {
  if (fault.kind === 'status') {
    const type = errorTypeForStatus(fault.status);
    sendJson(res, fault.status, fault.body ?? { message: `injected fault on ${route.op}: HTTP ${fault.status}` }, {
      ...(fault.status === 503 ? {} : { 'x-amzn-errortype': type }),
      'x-amzn-requestid': requestId,
      ...fault.headers,
    });
    return 'answered';
  }
  return playTransportFault(fault, res, { streaming: route.streams === true });
}

function renderError(res: ServerResponse, error: unknown, services: RouteServices): void {
  if (res.headersSent) {
    services.logger.error({ err: error }, 'AgentCore emulator failed mid-response');
    res.destroy();
    return;
  }
  const apiError =
    error instanceof AgentCoreApiError
      ? error
      : error instanceof RequestBodyError
        ? new AgentCoreApiError(400, error.message, { reason: 'CannotParse' })
        : new AgentCoreApiError(500, 'internal emulator error');
  if (apiError.status >= 500) services.logger.error({ err: error }, 'AgentCore emulator request failed');
  sendJson(res, apiError.status, { message: apiError.message, ...apiError.extra }, { 'x-amzn-errortype': apiError.type });
}
