import { randomUUID } from 'node:crypto';
import type { RequestListener } from 'node:http';
import { z } from 'zod';
import { createEmulatorRouter, credentialStat, describeIssues, RequestBodyError, sendJson, type ControlContext, type EmulatorLogger } from '#libs/emulator-kit';
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
 * The emulator's front door, the emulators' shared pipeline
 * (`createEmulatorRouter`) in Foundry's terms: `/_emulator/ca.pem` comes
 * first; credentials (`Authorization: Bearer`, which both SDKs send) are
 * checked before routing and `api-version=v1` once the route is known. Every
 * response carries a request id (`x-ms-request-id`, `apim-request-id`,
 * `x-request-id`) and every failure the `{"error":{"code","message"}}` body.
 */
export function createRouter(options: RouterOptions): RequestListener {
  return createEmulatorRouter({
    ...options,
    newRequestId: randomUUID,
    requestIdHeaders: ['x-ms-request-id', 'apim-request-id', 'x-request-id'],
    serveExtra: (req, res, url) => {
      if (req.method !== 'GET' || url.pathname !== '/_emulator/ca.pem') return false;
      res.writeHead(200, { 'content-type': 'application/x-pem-file' }).end(options.caCertificate);
      return true;
    },
    admit: (req) => {
      if (!/^Bearer\s+\S+/i.test(req.headers.authorization ?? '')) throw new FoundryApiError(401, 'unauthorized', 'missing credentials: send Authorization: Bearer <token>');
      // Which token called, by fingerprint: tests check a target's identity reaches the service with its own token.
      options.stats.count(credentialStat(req.headers.authorization!.replace(/^Bearer\s+/i, '').trim()));
    },
    notFound: (method, pathname) => new FoundryApiError(404, 'not_found', `no route ${method} ${pathname}`),
    accept: (_found, url) => {
      const apiVersion = url.searchParams.get('api-version');
      if (apiVersion === null) throw new FoundryApiError(400, 'missing_api_version', 'the api-version query parameter is required');
      if (apiVersion !== supportedApiVersion) throw new FoundryApiError(400, 'unsupported_api_version', `api-version '${apiVersion}' is not supported; use '${supportedApiVersion}'`);
    },
    statusFault: (status, route) => ({
      body: errorBody(status, codeForStatus(status), `injected fault on ${route.op}: HTTP ${status}`),
      // The SDKs wait for retry-after before retrying a 429; a second keeps tests quick but honest.
      headers: status === 429 ? { 'retry-after': '1' } : {},
    }),
    errorAnswer: (error) => {
      const apiError = asApiError(error);
      return { status: apiError.status, body: errorBody(apiError.status, apiError.code, apiError.message) };
    },
    answer: (result, { res }) => {
      if (result === 'written') return;
      if (result.body === undefined) res.writeHead(result.status).end();
      else sendJson(res, result.status, result.body);
    },
  });
}

function asApiError(error: unknown): FoundryApiError {
  if (error instanceof FoundryApiError) return error;
  if (error instanceof z.ZodError) return new FoundryApiError(400, 'invalid_request', describeIssues(error));
  if (error instanceof RequestBodyError) return new FoundryApiError(error.reason === 'too_large' ? 413 : 400, 'invalid_request', error.message);
  return new FoundryApiError(500, 'internal_error', 'internal emulator error');
}
