import type { IncomingMessage, RequestListener } from 'node:http';
import { z } from 'zod';
import { createEmulatorRouter, credentialStat, describeIssues, RequestBodyError, sendJson, type ControlContext, type EmulatorLogger } from '#libs/emulator-kit';
import { ClaudeApiError, errorBody, errorTypeForStatus } from './api-errors.js';
import { newClaudeId } from './claude-ids.js';
import type { Route } from './route-table.js';

/** The beta every Managed Agents call must carry; the real API 404s without it. */
export const managedAgentsBeta = 'managed-agents-2026-04-01';

export interface RouterOptions extends ControlContext {
  routes: readonly Route[];
  logger: EmulatorLogger;
}

/**
 * The emulator's front door, the emulators' shared pipeline
 * (`createEmulatorRouter`) in Claude's terms: credentials (any
 * `Authorization: Bearer` or `x-api-key`) then the beta header are checked
 * before routing; every response carries a `request-id`, and every failure
 * the API's error body.
 */
export function createRouter(options: RouterOptions): RequestListener {
  return createEmulatorRouter({
    ...options,
    newRequestId: () => newClaudeId('req'),
    requestIdHeaders: ['request-id'],
    admit: (req, url) => {
      if (!hasCredentials(req)) throw new ClaudeApiError(401, 'missing credentials: send Authorization: Bearer <key> or x-api-key');
      // Which key called, by fingerprint (never the key): tests check a target's identity reaches the API as its own key.
      options.stats.count(credentialStat(presentedKey(req)));
      if (!hasBeta(req)) throw new ClaudeApiError(404, `${url.pathname} requires the anthropic-beta header ${managedAgentsBeta}`);
    },
    notFound: (method, pathname) => new ClaudeApiError(404, `no route ${method} ${pathname}`),
    statusFault: (status, route, requestId) => ({
      body: errorBody(requestId, errorTypeForStatus(status), `injected fault on ${route.op}: HTTP ${status}`),
      // The SDK waits for retry-after before retrying a 429; a second keeps tests quick but honest.
      headers: status === 429 ? { 'retry-after': '1' } : {},
    }),
    errorAnswer: (error, requestId) => {
      const apiError = asApiError(error);
      return { status: apiError.status, body: errorBody(requestId, apiError.type, apiError.message, apiError.details) };
    },
    answer: (result, { res }, route) => {
      if (!route.streaming) sendJson(res, 200, result);
    },
  });
}

function presentedKey(req: IncomingMessage): string {
  const { authorization, 'x-api-key': apiKey } = req.headers;
  return typeof apiKey === 'string' && apiKey.trim() !== '' ? apiKey.trim() : (authorization ?? '').replace(/^Bearer\s+/i, '');
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

function asApiError(error: unknown): ClaudeApiError {
  if (error instanceof ClaudeApiError) return error;
  if (error instanceof z.ZodError) return new ClaudeApiError(400, describeIssues(error));
  if (error instanceof RequestBodyError) return new ClaudeApiError(error.reason === 'too_large' ? 413 : 400, error.message);
  return new ClaudeApiError(500, 'internal emulator error');
}
