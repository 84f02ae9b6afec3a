/**
 * The error types of https://platform.claude.com/docs/claude/reference/errors.
 * 409 uses `invalid_request_error`, as Anthropic's skills docs show for a
 * send to an archived session.
 */
export type ClaudeErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'billing_error'
  | 'permission_error'
  | 'not_found_error'
  | 'request_too_large'
  | 'rate_limit_error'
  | 'api_error'
  | 'timeout_error'
  | 'overloaded_error';

const typeByStatus: Record<number, ClaudeErrorType> = {
  401: 'authentication_error',
  402: 'billing_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  504: 'timeout_error',
  529: 'overloaded_error',
};

/** The error type the real API pairs with `status`; other 4xx are `invalid_request_error`, other 5xx `api_error`. */
export function errorTypeForStatus(status: number): ClaudeErrorType {
  return typeByStatus[status] ?? (status >= 500 ? 'api_error' : 'invalid_request_error');
}

/** A failure a handler throws; the router renders it as the API's error body. */
export class ClaudeApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly details?: { error_code: string },
    readonly type: ClaudeErrorType = errorTypeForStatus(status),
  ) {
    super(message);
    this.name = 'ClaudeApiError';
  }
}

/** `{"type":"error","error":{type,message,details?},"request_id"}`, the body every failed call returns. */
export function errorBody(requestId: string, type: ClaudeErrorType, message: string, details?: { error_code: string }) {
  return { type: 'error', error: { type, message, ...(details ? { details } : {}) }, request_id: requestId };
}

export const notFound = (kind: string, id: string, details?: { error_code: string }) =>
  new ClaudeApiError(404, `${kind} ${id} not found`, details);

export const conflict = (message: string) => new ClaudeApiError(409, message);
