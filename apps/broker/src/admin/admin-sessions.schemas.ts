import { z } from 'zod';
import { providerIds } from '#libs/runtime-spec';
import { pageQuery } from '../http/pagination.js';
import { userIdSchema } from '../identity/user-id.js';
import { sessionStatuses } from '../sessions/session.schemas.js';

export const listTenantSessionsQuery = z.strictObject({
  user: userIdSchema.optional().describe('Only this user (an X-End-User value, or jwt:<sub> for a JWT user)'),
  provider: z.enum(providerIds).optional(),
  status: z.enum(sessionStatuses).optional().describe('Defaults to every live status (provisioning, idle, active)'),
  ...pageQuery,
});
export type ListTenantSessionsQuery = z.infer<typeof listTenantSessionsQuery>;

export const endUserParams = z.strictObject({ userId: userIdSchema });

export const terminatedSessionsView = z.object({
  terminated: z.number().int().describe('Sessions this call ended'),
  sessions: z.array(z.string()).describe('Their ids'),
}).meta({ id: 'TerminatedSessions' });
export type TerminatedSessionsView = z.infer<typeof terminatedSessionsView>;
