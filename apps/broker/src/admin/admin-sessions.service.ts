import { Injectable } from '@nestjs/common';
import { notFound } from '#libs/errors';
import { Database, type Transaction } from '#libs/persistence';
import { appendAuditEvent } from '../audit/audit-log.js';
import { decodeCursor, pageFromRows, type Page } from '../http/pagination.js';
import { currentTenantPrincipal } from '../identity/principal.js';
import { forEachBounded } from '../lifecycle/bounded.js';
import { SessionTerminator } from '../sessions/session-terminator.js';
import { toSessionView } from '../sessions/session-view.js';
import { SessionRepository, type Session } from '../sessions/session.repository.js';
import type { SessionView } from '../sessions/session.schemas.js';
import type { ListTenantSessionsQuery, TerminatedSessionsView } from './admin-sessions.schemas.js';
import { TenantSessionRepository } from './tenant-session.repository.js';

/** The sessions of `ids`, in that order, read in the caller's transaction. */
async function sessionsById(tx: Transaction, ids: string[]): Promise<Session[]> {
  const repository = new SessionRepository(tx);
  const found: Session[] = [];
  for (const id of ids) {
    const session = await repository.findById(id);
    if (session) found.push(session);
  }
  return found;
}

/** Sessions a user's kill switch ends at once (each stops its provider session). */
const terminationConcurrency = 4;
/** Live sessions read per round trip while collecting a user's. */
const collectBatch = 200;

/**
 * The tenant administrator's view of its live sessions on every runtime,
 * and the kill switch (API.md §5). Terminations go through
 * `SessionTerminator` (reason `admin`), preceded by a `session.accessed`
 * audit record (`admin_terminate`) as a client's own terminate is.
 */
@Injectable()
export class AdminSessionsService {
  constructor(
    private readonly database: Database,
    private readonly terminator: SessionTerminator,
  ) {}

  async list(query: ListTenantSessionsQuery): Promise<Page<SessionView>> {
    const { tenantId } = currentTenantPrincipal();
    const sessions = await this.database.inTenant(tenantId, async (tx) => {
      const ids = await new TenantSessionRepository(tx).listIds({
        userId: query.user,
        provider: query.provider,
        status: query.status,
        afterId: decodeCursor(query.cursor),
        limit: query.limit,
      });
      return sessionsById(tx, ids);
    });
    const page = pageFromRows(sessions, query.limit);
    return { data: page.data.map(toSessionView), nextCursor: page.nextCursor };
  }

  /** Idempotent: a terminated session is answered as it is. Another tenant's session is 404 (audited). */
  async terminate(sessionId: string): Promise<SessionView> {
    const { tenantId } = currentTenantPrincipal();
    const session = await this.database.inTenant(tenantId, async (tx) => {
      const found = await new SessionRepository(tx).findById(sessionId);
      if (!found) {
        await appendAuditEvent(tx, tenantId, { type: 'access.denied', session: sessionId, detail: { resource: 'session', action: 'admin_terminate' } });
      }
      return found;
    });
    if (!session) throw notFound('session');
    return toSessionView(await this.end(session));
  }

  /** Ends every live session of one end user of the tenant. */
  async terminateUserSessions(userId: string): Promise<TerminatedSessionsView> {
    const { tenantId } = currentTenantPrincipal();
    const live = await this.database.inTenant(tenantId, async (tx) => {
      const repository = new TenantSessionRepository(tx);
      const ids: string[] = [];
      for (let afterId: string | null = null; ; afterId = ids[ids.length - 1]) {
        const batch = await repository.listIds({ userId, afterId, limit: collectBatch });
        ids.push(...batch.slice(0, collectBatch));
        if (batch.length <= collectBatch) break;
      }
      return sessionsById(tx, ids);
    });
    const ended: string[] = [];
    await forEachBounded(live, terminationConcurrency, async (session) => {
      const after = await this.end(session);
      // Live when listed, `admin` now: this call (or a concurrent admin) ended it.
      if (after.terminationReason === 'admin') ended.push(after.id);
    });
    return { terminated: ended.length, sessions: ended.sort().reverse() };
  }

  private async end(session: Session): Promise<Session> {
    if (session.status === 'terminated') return session;
    await this.database.inTenant(session.tenantId, (tx) =>
      appendAuditEvent(tx, session.tenantId, {
        type: 'session.accessed',
        user: session.userId,
        session: session.id,
        provider: session.provider,
        providerSession: session.providerSessionId,
        detail: { action: 'admin_terminate' },
      }),
    );
    return this.terminator.terminate(session.tenantId, session.id, 'admin');
  }
}
