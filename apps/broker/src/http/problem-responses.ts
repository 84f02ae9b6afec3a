import { z } from 'zod';
import { errorCatalog } from '#libs/errors';
import type { RouteResponse, RouteSpec } from './route-spec.js';
import { problemContentType } from './problem-details.js';

/** One problem with one input field (a 400's `errors`). */
export const fieldProblemSchema = z.object({ path: z.string(), message: z.string() }).meta({ id: 'FieldProblem' });

/** The problem+json body of API.md §2, for the OpenAPI document. */
export const problemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    code: z.enum(Object.keys(errorCatalog) as [keyof typeof errorCatalog]).meta({ id: 'ErrorCode' }),
    detail: z.string(),
    requestId: z.string(),
    errors: z.array(fieldProblemSchema).optional(),
  })
  .loose()
  .meta({
    id: 'Problem',
    description: 'RFC 9457 problem details; `code` is stable. Codes add members of their own (`limit`, `retryAfterSeconds`, `reason`, `turn`…)',
  });

const descriptions: Record<number, string> = {
  400: 'Invalid request: every problem is listed in `errors`',
  401: 'Missing, unknown or revoked credential',
  403: 'The role may not call this route, or a policy refuses the request (`isolation_policy`; `target_not_allowed`: a target the operator has not granted the tenant)',
  404: 'Unknown id, or another tenant’s or user’s resource',
  409: 'Conflict',
  410: 'The session is terminated',
  413: 'The body is over the size limit',
  429: 'A limit, rate or budget was reached; see Retry-After',
  502: 'The provider failed',
  503: 'The provider is unavailable, this replica has as many turns in flight as it allows (turns), or its database connections are all busy; see Retry-After',
  504: 'The provider did not answer in time',
};

/** Statuses that say when to come back. */
const retryAfter: Record<string, string> = { 'Retry-After': 'Seconds to wait before retrying' };

export function problemResponses(...statuses: number[]): Record<number, RouteResponse> {
  return Object.fromEntries(
    statuses.map((status) => [
      status,
      {
        description: descriptions[status] ?? 'Error',
        schema: problemSchema,
        contentType: problemContentType,
        ...(status === 429 || status === 503 ? { headers: retryAfter } : {}),
      },
    ]),
  );
}

/**
 * The problems every route of its kind can answer, whatever its spec lists,
 * so the document cannot forget one: a credentialed route refuses a missing
 * credential (401) and the wrong role or key kind (403), reads its keys and
 * state from a database that can be busy (503), and checks the end-user
 * header (400); a route with inputs refuses bad ones (400); a route with an
 * id in its path answers 404 for one the caller may not see.
 */
export function problemsOf(spec: RouteSpec, hasPathParams: boolean): Record<number, RouteResponse> {
  const statuses = new Set<number>();
  if (spec.access.kind !== 'public') [400, 401, 403, 503].forEach((status) => statuses.add(status));
  if (spec.params || spec.query || spec.body || spec.headers) statuses.add(400);
  if (hasPathParams) statuses.add(404);
  if (spec.body) statuses.add(413);
  return problemResponses(...[...statuses].sort());
}
