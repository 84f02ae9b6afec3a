import { z } from 'zod';
import { providerIds } from '#libs/runtime-spec';
import { pageQuery } from '../http/pagination.js';
import { sessionStatuses } from '../sessions/session.schemas.js';

/** An end user id as the caller gave it (API.md §1): 1-256 printable characters. */
const userId = z.string().min(1).max(256).regex(/^[\x20-\x7e]+$/, 'printable characters');

export const listTenantSessionsQuery = z.strictObject({
  user: userId.optional().describe('Only this end user'),
  provider: z.enum(providerIds).optional(),
  status: z.enum(sessionStatuses).optional().describe('Defaults to every live status (provisioning, idle, active)'),
  ...pageQuery,
});
export type ListTenantSessionsQuery = z.infer<typeof listTenantSessionsQuery>;

export const endUserParams = z.strictObject({ userId });

export const terminatedSessionsView = z.object({
  terminated: z.number().int().describe('Sessions this call ended'),
  sessions: z.array(z.string()).describe('Their ids'),
});
export type TerminatedSessionsView = z.infer<typeof terminatedSessionsView>;
