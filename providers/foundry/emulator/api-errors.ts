/**
 * Failures in the shape both halves of the project endpoint use:
 * `{"error":{"code","message","type"?}}`. Azure core reads `error.code` into
 * `RestError.code`; the `openai` client reads the same object into
 * `APIError.code`/`.type`/`.message`.
 * https://learn.microsoft.com/rest/api/aifoundry/aiprojects/ (ApiErrorResponse)
 */
export class FoundryApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'FoundryApiError';
  }
}

/** The OpenAI-style `type` the Responses half pairs with a status. */
function errorType(status: number): string {
  if (status === 429) return 'rate_limit_error';
  if (status === 401) return 'authentication_error';
  if (status >= 500) return 'server_error';
  return 'invalid_request_error';
}

export function errorBody(status: number, code: string, message: string) {
  return { error: { code, message, type: errorType(status), param: null } };
}

/** The code the service answers a bare status with (used for injected faults). */
export function codeForStatus(status: number): string {
  const codes: Record<number, string> = {
    400: 'invalid_request',
    401: 'unauthorized',
    403: 'forbidden',
    404: 'not_found',
    408: 'request_timeout',
    409: 'conflict',
    429: 'rate_limit_exceeded',
    503: 'service_unavailable',
  };
  return codes[status] ?? (status >= 500 ? 'internal_error' : 'invalid_request');
}

export const notFound = (what: string, id: string) => new FoundryApiError(404, `${what}_not_found`, `${what.replace('_', ' ')} '${id}' was not found`);
