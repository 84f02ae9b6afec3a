import { z } from 'zod';
import { errorCatalog } from '#libs/errors';
import type { RouteResponse } from './route-spec.js';
import { problemContentType } from './problem-details.js';

/** The problem+json body of API.md §2, for the OpenAPI document. */
export const problemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    code: z.enum(Object.keys(errorCatalog) as [keyof typeof errorCatalog]),
    detail: z.string(),
    requestId: z.string(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  })
  .loose();

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

export function problemResponses(...statuses: number[]): Record<number, RouteResponse> {
  return Object.fromEntries(
    statuses.map((status) => [status, { description: descriptions[status] ?? 'Error', schema: problemSchema, contentType: problemContentType }]),
  );
}
