import type { Transaction } from '#libs/persistence';
import { appendAuditEvent } from '../audit/audit-log.js';
import { SessionRepository, type Session } from './session.repository.js';

/**
 * The isolation rule (API.md §1) in one place: a session of another tenant
 * (invisible through RLS) or of another user is "not found", and every such
 * lookup is written to the audit log as `access.denied` in the same
 * transaction. Callers commit, then answer 404.
 */
export async function findOwnSession(
  tx: Transaction,
  caller: { tenantId: string; userId: string },
  sessionId: string,
  action: string,
  options: { lock?: boolean } = {},
): Promise<Session | undefined> {
  const session = await new SessionRepository(tx).findForUser(sessionId, caller.userId, options);
  if (!session) {
    await appendAuditEvent(tx, caller.tenantId, {
      type: 'access.denied',
      user: caller.userId,
      session: sessionId,
      detail: { resource: 'session', action },
    });
  }
  return session;
}
