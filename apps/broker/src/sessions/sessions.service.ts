import { createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { AppConfig } from '#libs/config';
import { AppError, conflict, notFound } from '#libs/errors';
import { Database } from '#libs/persistence';
import type { Principal, TenantRole } from '#libs/request-context';
import { appConfigToken } from '../app.tokens.js';
import { appendAuditEvent } from '../audit/audit-log.js';
import { canonicalJson } from '../audit/canonical-json.js';
import { decodeCursor, pageFromRows, type Page } from '../http/pagination.js';
import { currentTenantPrincipal } from '../identity/principal.js';
import { ProviderCalls } from '../runtimes/provider-calls.js';
import { toTargetHttpError } from '../runtimes/provider-failures.js';
import { RuntimeRegistry } from '../runtimes/runtime-registry.js';
import { IdempotencyRepository } from './idempotency.repository.js';
import { ProvisionedSessions } from './provisioned-sessions.js';
import { SessionCreates, type BoundOutcome } from './session-creates.js';
import { findOwnSession } from './session-access.js';
import { bindingOf } from './session-binding.js';
import { SessionEventRepository } from './session-event.repository.js';
import { SessionTerminator } from './session-terminator.js';
import { expiryReason, toSessionView } from './session-view.js';
import { SessionRepository, type Session } from './session.repository.js';
import type { CreateSessionBody, ListSessionsQuery, SessionEventView, SessionView } from './session.schemas.js';

/** The caller of a session route: an app principal bound to one end user. */
export type SessionCaller = { tenantId: string; userId: string; role: TenantRole };

export function sessionCaller(principal: Principal = currentTenantPrincipal()): SessionCaller {
  if (principal.kind !== 'tenant' || principal.userId === undefined) throw new AppError('internal', 'session routes need an end user');
  return { tenantId: principal.tenantId, userId: principal.userId, role: principal.role };
}

type CreateOutcome = BoundOutcome | { kind: 'replayed'; sessionId: string } | { kind: 'raced' };

/** Sessions of the calling end user (API.md §4): create, list, get, terminate, transcript. */
@Injectable()
export class SessionsService {
  constructor(
    private readonly database: Database,
    private readonly registry: RuntimeRegistry,
    private readonly calls: ProviderCalls,
    private readonly terminator: SessionTerminator,
    private readonly provisioned: ProvisionedSessions,
    private readonly creates: SessionCreates,
    @Inject(appConfigToken) private readonly config: AppConfig,
  ) {}

  /**
   * Binds a new session to (tenant, user) in the database — status
   * `provisioning`, with its audit record — before the provider is called, so
   * no provider session ever exists without an owner. If the provider call
   * fails, the session ends `terminated`/`error`.
   */
  async create(body: CreateSessionBody, idempotencyKey: string | undefined): Promise<{ session: SessionView; replayed: boolean }> {
    const caller = sessionCaller();
    const requestHash = createHash('sha256').update(canonicalJson(body)).digest('hex');
    // Without a key, creates of the tenant are decided and recorded in batches (group commit: see SessionCreates).
    const outcome = idempotencyKey === undefined ? await this.creates.bind(caller, body) : await this.bindIdempotent(caller, body, idempotencyKey, requestHash);

    switch (outcome.kind) {
      case 'agent_missing':
        throw notFound('agent');
      case 'denied':
        throw outcome.denial.error;
      case 'target_refused':
        throw outcome.error;
      case 'replayed':
        return { session: await this.waitUntilProvisioned(caller, outcome.sessionId), replayed: true };
      case 'raced': {
        return this.create(body, idempotencyKey);
      }
      case 'created':
        return { session: toSessionView(await this.provision(outcome.session)), replayed: false };
    }
  }

  /** A create with an `Idempotency-Key`: its record is written with the session, in the create's own transaction. */
  private bindIdempotent(caller: SessionCaller, body: CreateSessionBody, idempotencyKey: string, requestHash: string): Promise<CreateOutcome> {
    return this.database.inTenant(caller.tenantId, async (tx): Promise<CreateOutcome> => {
      const keys = new IdempotencyRepository(tx);
      const existing = await keys.find(caller.userId, idempotencyKey);
      if (existing && existing.requestHash !== requestHash) {
        throw conflict('idempotency_key_reused', 'this Idempotency-Key was used with a different request body');
      }
      if (existing) return { kind: 'replayed', sessionId: existing.sessionId };
      const outcome = await this.creates.bindIn(tx, caller, body);
      if (outcome.kind !== 'created') return outcome;
      const sessionId = outcome.session.id;
      const recorded = await keys.insert({ tenantId: caller.tenantId, userId: caller.userId, key: idempotencyKey, requestHash, sessionId });
      // A concurrent request with the same key won; this transaction must leave nothing behind.
      if (!recorded) throw new RacedIdempotentCreate();
      return outcome;
    }, { pipelined: true }).catch((error: unknown) => {
      if (error instanceof RacedIdempotentCreate) return { kind: 'raced' } as const;
      throw error;
    });
  }

  private async provision(session: Session): Promise<Session> {
    const adapter = this.registry.get(session.provider)!;
    if (this.config.testCrashPoint === 'after-session-bound') process.exit(86); // crash-recovery tests only (SWITCHBOARD_TEST_CRASH_POINT)
    try {
      const opened = await this.calls.call(
        'provider.openSession',
        { 'switchboard.provider': session.provider, 'switchboard.session': session.id, 'switchboard.tenant': session.tenantId },
        (signal) => adapter.openSession(bindingOf(session), signal),
        (error) => toTargetHttpError(error, session),
      );
      if (this.config.testCrashPoint === 'after-provider-open') process.exit(86); // crash-recovery tests only
      const ready = await this.provisioned.record(session, opened);
      // Ended while the provider call ran (the reaper judged it stuck): nothing may stay running.
      if (ready.status === 'terminated') await this.terminator.stopAtProvider(ready);
      return ready;
    } catch (error) {
      await this.terminator.terminate(session.tenantId, session.id, 'error', { stage: 'provisioning', code: (error as AppError).code });
      throw error;
    }
  }

  /** A replayed create answers with the session once it left `provisioning` (bounded wait). */
  private async waitUntilProvisioned(caller: SessionCaller, sessionId: string): Promise<SessionView> {
    const deadline = Date.now() + this.config.runtimes.callTimeoutMs;
    for (;;) {
      const session = await this.database.inTenant(caller.tenantId, (tx) => new SessionRepository(tx).findById(sessionId));
      if (!session) throw notFound('session');
      if (session.status !== 'provisioning' || Date.now() > deadline) return toSessionView(session);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  async list(query: ListSessionsQuery): Promise<Page<SessionView>> {
    const caller = sessionCaller();
    const rows = await this.database.inTenant(caller.tenantId, (tx) =>
      new SessionRepository(tx).listForUser({ ...query, userId: caller.userId, afterId: decodeCursor(query.cursor) }),
    );
    const page = pageFromRows(rows, query.limit);
    return { data: page.data.map(toSessionView), nextCursor: page.nextCursor };
  }

  async get(sessionId: string): Promise<SessionView> {
    return toSessionView(await this.loadCurrent(sessionId, 'get'));
  }

  /** Client termination: idempotent, 200 with the terminated session. */
  async terminate(sessionId: string): Promise<SessionView> {
    const caller = sessionCaller();
    const session = await this.loadCurrent(sessionId, 'terminate');
    if (session.status === 'terminated') return toSessionView(session);
    await this.database.inTenant(caller.tenantId, (tx) =>
      appendAuditEvent(tx, caller.tenantId, {
        type: 'session.accessed',
        user: caller.userId,
        session: sessionId,
        provider: session.provider,
        providerSession: session.providerSessionId,
        detail: { action: 'terminate' },
      }),
    );
    return toSessionView(await this.terminator.terminate(caller.tenantId, sessionId, 'client'));
  }

  async events(sessionId: string, after: number, limit: number): Promise<{ data: SessionEventView[]; nextAfter: number | null }> {
    const caller = sessionCaller();
    const page = await this.database.inTenant(caller.tenantId, async (tx) => {
      const session = await findOwnSession(tx, caller, sessionId, 'events');
      return session && new SessionEventRepository(tx).listAfter(sessionId, after, limit, this.config.content.eventsPageMaxBytes);
    });
    if (!page) throw notFound('session');
    const { events, more } = page;
    return { data: events, nextAfter: more && events.length > 0 ? events[events.length - 1].seq : null };
  }

  /**
   * The caller's session, 404 (audited) if it is not theirs. A session past
   * its deadline by the broker's clock is terminated now, so nobody sees a
   * live session that the provider has already reaped.
   */
  async loadCurrent(sessionId: string, action: string): Promise<Session> {
    const caller = sessionCaller();
    const session = await this.database.inTenant(caller.tenantId, (tx) => findOwnSession(tx, caller, sessionId, action));
    if (!session) throw notFound('session');
    const reason = expiryReason(session);
    return reason ? this.terminator.terminate(caller.tenantId, session.id, reason) : session;
  }
}

/** Internal signal: another request with the same Idempotency-Key committed first. */
class RacedIdempotentCreate extends Error {}
