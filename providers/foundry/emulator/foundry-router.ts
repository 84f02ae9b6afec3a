import { randomUUID } from 'node:crypto';
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { z } from 'zod';
import { handleControlRequest, RequestBodyError, playTransportFault, routeMatcher, sendJson, type ControlContext, type EmulatorLogger, type Fault } from '#libs/emulator-kit';
import { codeForStatus, errorBody, FoundryApiError } from './api-errors.js';
import type { Route } from './route-table.js';

/** The only data-plane api-version the SDKs send (`KnownApiVersions.v1`). */
export const supportedApiVersion = 'v1';

export interface RouterOptions extends ControlContext {
  routes: readonly Route[];
  logger: EmulatorLogger;
  /** Served at `GET /_emulator/ca.pem`, so a standalone emulator's CA can be fetched and trusted. */
  caCertificate: string;
}

/**
 * The emulator's front door. In order: `/_emulator/ca.pem` and the shared
 * control plane, credentials (`Authorization: Bearer`, which both SDKs send),
 * `api-version=v1`, the route, a stats count for its op, the op's next fault,
 * then the handler. Every response carries a request id
 * (`x-ms-request-id`, `apim-request-id`, `x-request-id`) and every failure
 * the `{"error":{"code","message"}}` body.
 */
export function createRouter(options: RouterOptions): RequestListener {
  const match = routeMatcher(options.routes);
  return (req, res) => {
    const requestId = randomUUID();
    for (const header of ['x-ms-request-id', 'apim-request-id', 'x-request-id']) res.setHeader(header, requestId);
    handle(req, res, options, match).catch((error: unknown) => renderError(res, requestId, error, options.logger));
  };
}

async function handle(req: IncomingMessage, res: ServerResponse, options: RouterOptions, match: ReturnType<typeof routeMatcher<Route>>): Promise<void> {
  const url = new URL(req.url ?? '/', 'https://emulator');
  if (req.method === 'GET' && url.pathname === '/_emulator/ca.pem') {
    res.writeHead(200, { 'content-type': 'application/x-pem-file' }).end(options.caCertificate);
    return;
  }
  if (await handleControlRequest(req, res, options)) return;
  if (!/^Bearer\s+\S+/i.test(req.headers.authorization ?? '')) throw new FoundryApiError(401, 'unauthorized', 'missing credentials: send Authorization: Bearer <token>');
  const found = match(req.method ?? 'GET', url.pathname);
  if (!found) throw new FoundryApiError(404, 'not_found', `no route ${req.method} ${url.pathname}`);
  const apiVersion = url.searchParams.get('api-version');
  if (apiVersion === null) throw new FoundryApiError(400, 'missing_api_version', 'the api-version query parameter is required');
  if (apiVersion !== supportedApiVersion) throw new FoundryApiError(400, 'unsupported_api_version', `api-version '${apiVersion}' is not supported; use '${supportedApiVersion}'`);
  const { route, params } = found;
  options.stats.count(route.op);
  const fault = options.faults.take(route.op);
  if (fault && (await playFault(fault, route, res)) === 'answered') return;
  const result = await route.handle({ req, res, url, params, fault: route.streaming ? fault : undefined });
  if (result === 'written') return;
  if (result.body === undefined) res.writeHead(result.status).end();
  else sendJson(res, result.status, result.body);
}

/**
 * Plays a fault before the handler runs. `status` answers with that error (a
 * 429 with `retry-after: 1` unless the fault sets headers); a streaming route
 * keeps the other kinds (they shape the stream); otherwise `delay` waits and
 * then does the work even if the client gave up meanwhile, `stall` never
 * answers, and `truncate` drops the connection without an answer.
 */
export async function playFault(fault: Fault, route: Pick<Route, 'op' | 'streaming'>, res: ServerResponse): Promise<'answered' | 'continue'> {
  if (fault.kind === 'status') {
    const headers = { ...(fault.status === 429 ? { 'retry-after': '1' } : {}), ...fault.headers };
    const body = fault.body ?? errorBody(fault.status, codeForStatus(fault.status), `injected fault on ${route.op}: HTTP ${fault.status}`);
    sendJson(res, fault.status, body, headers);
    return 'answered';
  }
  return playTransportFault(fault, res, { streaming: route.streaming === true });
}

function renderError(res: ServerResponse, requestId: string, error: unknown, logger: EmulatorLogger): void {
  if (res.headersSent) {
    logger.error({ err: error, requestId }, 'emulator failed mid-response');
    res.destroy();
    return;
  }
  const apiError = asApiError(error);
  if (apiError.status >= 500) logger.error({ err: error, requestId }, 'emulator request failed');
  sendJson(res, apiError.status, errorBody(apiError.status, apiError.code, apiError.message));
}

function asApiError(error: unknown): FoundryApiError {
  if (error instanceof FoundryApiError) return error;
  if (error instanceof z.ZodError) {
    return new FoundryApiError(400, 'invalid_request', error.issues.map((issue) => `${issue.path.join('.') || 'body'}: ${issue.message}`).join('; '));
  }
  if (error instanceof RequestBodyError) return new FoundryApiError(error.reason === 'too_large' ? 413 : 400, 'invalid_request', error.message);
  return new FoundryApiError(500, 'internal_error', 'internal emulator error');
}
