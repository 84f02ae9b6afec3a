import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { z } from 'zod';
import {
  handleControlRequest,
  RequestBodyError,
  sendJson,
  playTransportFault,
  type ControlContext,
  type EmulatorLogger,
  type Fault,
} from '#libs/emulator-kit';
import { ClaudeApiError, errorBody, errorTypeForStatus } from './api-errors.js';
import { newClaudeId } from './claude-ids.js';
import { routeMatcher, type Route, type RouteMatch } from './route-table.js';

/** The beta every Managed Agents call must carry; the real API 404s without it. */
export const managedAgentsBeta = 'managed-agents-2026-04-01';

export interface RouterOptions extends ControlContext {
  routes: readonly Route[];
  logger: EmulatorLogger;
}

/**
 * The emulator's front door. In order: the `/_emulator/` control plane,
 * credentials (any `Authorization: Bearer` or `x-api-key`), the beta header,
 * the route, a stats count for its operation, then the operation's next
 * fault, then the handler. Every response carries a `request-id`, and every
 * failure the API's error body.
 */
export function createRouter(options: RouterOptions): RequestListener {
  const match = routeMatcher(options.routes);
  return (req, res) => {
    const requestId = newClaudeId('req');
    res.setHeader('request-id', requestId);
    handle(req, res, requestId, options, match).catch((error: unknown) => renderError(res, requestId, error, options.logger));
  };
}

async function handle(
  req: IncomingMessage,
  res: ServerResponse,
  requestId: string,
  options: RouterOptions,
  match: ReturnType<typeof routeMatcher>,
): Promise<void> {
  if (await handleControlRequest(req, res, options)) return;
  if (!hasCredentials(req)) throw new ClaudeApiError(401, 'missing credentials: send Authorization: Bearer <key> or x-api-key');
  const url = new URL(req.url ?? '/', 'http://emulator');
  if (!hasBeta(req)) throw new ClaudeApiError(404, `${url.pathname} requires the anthropic-beta header ${managedAgentsBeta}`);
  const found = match(req.method ?? 'GET', url.pathname);
  if (!found) throw new ClaudeApiError(404, `no route ${req.method} ${url.pathname}`);
  options.stats.count(found.route.op);
  const fault = options.faults.take(found.route.op);
  if (fault && (await playFault(fault, found, res, requestId)) === 'answered') return;
  const { route, params } = found;
  if (route.streaming) await route.handle({ req, res, url, params, fault });
  else sendJson(res, 200, await route.handle({ req, res, url, params }));
}

/**
 * Plays a fault before the handler runs. `status` answers with that error;
 * a stream keeps its other faults (they shape the stream itself); otherwise
 * `delay` waits and then does the work even if the client gave up meanwhile
 * (as a real server would), `stall` never answers, and `truncate` drops the
 * connection without an answer.
 */
async function playFault(fault: Fault, { route }: RouteMatch, res: ServerResponse, requestId: string): Promise<'answered' | 'continue'> {
  if (fault.kind === 'status') {
    // The SDK waits for retry-after before retrying a 429; a second keeps tests quick but honest.
    const headers = { ...(fault.status === 429 ? { 'retry-after': '1' } : {}), ...fault.headers };
    const body = fault.body ?? errorBody(requestId, errorTypeForStatus(fault.status), `injected fault on ${route.op}: HTTP ${fault.status}`);
    sendJson(res, fault.status, body, headers);
    return 'answered';
  }
  return playTransportFault(fault, res, { streaming: route.streaming === true });
}

function hasCredentials(req: IncomingMessage): boolean {
  const { authorization, 'x-api-key': apiKey } = req.headers;
  return /^Bearer\s+\S+/i.test(authorization ?? '') || (typeof apiKey === 'string' && apiKey.trim() !== '');
}

function hasBeta(req: IncomingMessage): boolean {
  const header = req.headers['anthropic-beta'];
  const values = (Array.isArray(header) ? header : [header ?? '']).flatMap((value) => value.split(','));
  return values.some((value) => value.trim() === managedAgentsBeta);
}

function renderError(res: ServerResponse, requestId: string, error: unknown, logger: EmulatorLogger): void {
  if (res.headersSent) {
    logger.error({ err: error, requestId }, 'emulator failed mid-response');
    res.destroy();
    return;
  }
  const apiError = asApiError(error);
  if (apiError.status >= 500) logger.error({ err: error, requestId }, 'emulator request failed');
  sendJson(res, apiError.status, errorBody(requestId, apiError.type, apiError.message, apiError.details));
}

function asApiError(error: unknown): ClaudeApiError {
  if (error instanceof ClaudeApiError) return error;
  if (error instanceof z.ZodError) {
    return new ClaudeApiError(400, error.issues.map((issue) => `${issue.path.join('.') || 'body'}: ${issue.message}`).join('; '));
  }
  if (error instanceof RequestBodyError) return new ClaudeApiError(error.reason === 'too_large' ? 413 : 400, error.message);
  return new ClaudeApiError(500, 'internal emulator error');
}
