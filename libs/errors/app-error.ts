import { errorCatalog, type ErrorCode } from './error-codes.js';

/** One problem with one input field, as listed in a 400's `errors` array. */
export interface FieldProblem {
  path: string;
  message: string;
}

/**
 * The one error type the application raises on purpose. `code` is stable and
 * public; `extensions` become extra members of the problem+json body (for
 * example `limit`, `retryAfterSeconds`, `errors`). Never put internals here.
 */
export class AppError extends Error {
  readonly status: number;

  constructor(
    readonly code: ErrorCode,
    readonly detail: string,
    readonly extensions: Record<string, unknown> = {},
    options?: { cause?: unknown },
  ) {
    super(detail, options);
    this.name = 'AppError';
    this.status = errorCatalog[code].status;
  }

  /** Seconds a client should wait before retrying, sent as `Retry-After`. */
  get retryAfterSeconds(): number | undefined {
    const value = this.extensions['retryAfterSeconds'];
    return typeof value === 'number' ? value : undefined;
  }
}

export const invalidRequest = (detail: string, errors: FieldProblem[] = []) =>
  new AppError('invalid_request', detail, { errors });

export const notFound = (what = 'resource') => new AppError('not_found', `${what} not found`);

export const unauthenticated = (detail = 'a valid credential is required') => new AppError('unauthenticated', detail);

export const forbidden = (detail = 'this role may not call this route') => new AppError('forbidden', detail);

export const conflict = (reason: string, detail: string) => new AppError('conflict', detail, { reason });
