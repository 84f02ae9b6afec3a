import type { Response } from 'express';
import { AppError, errorCatalog, problemType, type ErrorCode } from '#libs/errors';

export const problemContentType = 'application/problem+json';

/** Turns any thrown value into the AppError the client will see. */
export function toAppError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  const candidate = error as { status?: unknown; statusCode?: unknown; type?: unknown; getStatus?: () => number };
  // body-parser errors carry a `type`; Nest's HttpException a `getStatus()`.
  if (candidate?.type === 'entity.too.large') return new AppError('payload_too_large', 'the request body is over the size limit');
  if (candidate?.type === 'entity.parse.failed') {
    return new AppError('invalid_request', 'the request body is not valid JSON', {
      errors: [{ path: 'body', message: 'malformed JSON' }],
    });
  }
  if (candidate?.type === 'encoding.unsupported' || candidate?.type === 'charset.unsupported') {
    return new AppError('unsupported_media_type', 'the request body encoding is not supported');
  }
  if (isPoolCheckoutTimeout(error)) {
    return new AppError('database_busy', 'every database connection of this replica is busy; retry shortly', { retryAfterSeconds: 1 }, { cause: error });
  }
  const status = typeof candidate?.getStatus === 'function' ? candidate.getStatus() : Number(candidate?.status ?? candidate?.statusCode);
  const byStatus: Partial<Record<number, ErrorCode>> = {
    400: 'invalid_request',
    401: 'unauthenticated',
    403: 'forbidden',
    404: 'not_found',
    405: 'not_found',
    413: 'payload_too_large',
    415: 'unsupported_media_type',
  };
  const code = byStatus[status];
  if (code) return new AppError(code, code === 'not_found' ? 'no such route or resource' : errorCatalog[code].title);
  return new AppError('internal', 'an unexpected error occurred; quote the request id when reporting it', {}, { cause: error });
}

/**
 * pg-pool's answer when no connection frees up within `connectionTimeoutMillis`:
 * the replica is overloaded, not broken, so the client should retry (503), not
 * report a bug (500).
 */
export function isPoolCheckoutTimeout(error: unknown): boolean {
  return error instanceof Error && error.message === 'timeout exceeded when trying to connect';
}

/** The RFC 9457 body of an error. */
export function problemBody(error: AppError, requestId: string): Record<string, unknown> {
  return {
    type: problemType(error.code),
    title: errorCatalog[error.code].title,
    status: error.status,
    code: error.code,
    detail: error.detail,
    ...error.extensions,
    requestId,
  };
}

/** Writes an RFC 9457 problem+json response. */
export function sendProblem(response: Response, error: AppError, requestId: string): void {
  if (response.headersSent) {
    // Ending twice, or a destroyed response, would be an 'error' event; nothing more can be said to this client.
    if (!response.writableEnded && !response.destroyed) response.end();
    return;
  }
  if (error.retryAfterSeconds !== undefined) response.setHeader('Retry-After', String(Math.ceil(error.retryAfterSeconds)));
  response.status(error.status).type(problemContentType).send(JSON.stringify(problemBody(error, requestId)));
}
