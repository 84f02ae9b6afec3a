/**
 * The complete table of error codes the API can answer with (API.md §2).
 * Every error raised below the HTTP layer carries one of these codes; the one
 * exception filter maps it to a status, title and problem type through this
 * table and nothing else.
 */
export const errorCatalog = {
  invalid_request: { status: 400, title: 'Invalid request' },
  unauthenticated: { status: 401, title: 'Unauthenticated' },
  forbidden: { status: 403, title: 'Forbidden' },
  isolation_policy: { status: 403, title: 'Isolation policy' },
  target_not_allowed: { status: 403, title: 'Target not allowed' },
  not_found: { status: 404, title: 'Not found' },
  request_timeout: { status: 408, title: 'Request timeout' },
  conflict: { status: 409, title: 'Conflict' },
  session_terminated: { status: 410, title: 'Session terminated' },
  payload_too_large: { status: 413, title: 'Payload too large' },
  unsupported_media_type: { status: 415, title: 'Unsupported media type' },
  headers_too_large: { status: 431, title: 'Request headers too large' },
  limit_exceeded: { status: 429, title: 'Limit exceeded' },
  budget_exceeded: { status: 429, title: 'Budget exceeded' },
  rate_limited: { status: 429, title: 'Rate limited' },
  internal: { status: 500, title: 'Internal error' },
  provider_error: { status: 502, title: 'Provider error' },
  provider_unavailable: { status: 503, title: 'Provider unavailable' },
  provider_timeout: { status: 504, title: 'Provider timeout' },
  not_ready: { status: 503, title: 'Not ready' },
  replica_at_capacity: { status: 503, title: 'Replica at capacity' },
  database_busy: { status: 503, title: 'Database busy' },
} as const satisfies Record<string, { status: number; title: string }>;

export type ErrorCode = keyof typeof errorCatalog;

/** `/problems/limit-exceeded` for `limit_exceeded`. */
export function problemType(code: ErrorCode): string {
  return `/problems/${code.replaceAll('_', '-')}`;
}
