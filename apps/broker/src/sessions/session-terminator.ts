import { Injectable } from '@nestjs/common';
import { Database } from '#libs/persistence';
import { SessionReconciliation } from '../costs/session-reconciliation.service.js';
import { appendAuditEvent } from '../audit/audit-log.js';
import { TurnAbandonment } from '../lifecycle/turn-abandonment.js';
import { logger } from '../logging/logger.js';
import { ProviderCalls } from '../runtimes/provider-calls.js';
import { RuntimeRegistry } from '../runtimes/runtime-registry.js';
import { SessionRepository, type Session } from './session.repository.js';
import type { TerminationReason } from './session.schemas.js';
import { handleOf } from './session-binding.js';

/**
 * The PostgreSQL channel on which a terminating transaction announces the
 * end (payload `{"session","reason"}`, delivered at COMMIT), so the replica
 * running the session's turn aborts it (see SessionEndListener).
 */
export const sessionEndedChannel = 'switchboard_session_ended';

/**
 * Ends sessions: the database first (the binding ends the moment the broker
 * says so, with its audit record), then the provider session. A provider that
 * fails to stop leaves `provider_stopped_at` empty for the reaper to retry.
 */
@Injectable()
export class SessionTerminator {
  /** Turns running in this process, so a termination can abort them at once. */
  private readonly runningTurns = new Map<string, AbortController>();

  constructor(
    private readonly database: Database,
    private readonly registry: RuntimeRegistry,
    private readonly calls: ProviderCalls,
    private readonly abandonment: TurnAbandonment,
    private readonly reconciliation: SessionReconciliation,
  ) {}

  /** Aborts this replica's running turn of the session, if any (idempotent). */
  abortTurnOf(sessionId: string, reason: TerminationReason): void {
    const controller = this.runningTurns.get(sessionId);
    if (controller && !controller.signal.aborted) controller.abort(new SessionEndedDuringTurn(reason));
  }

  /** The sessions whose turns run on this replica now. */
  sessionsWithRunningTurns(): string[] {
    return [...this.runningTurns.keys()];
  }

  trackTurn(sessionId: string, controller: AbortController): () => void {
    this.runningTurns.set(sessionId, controller);
    return () => {
      if (this.runningTurns.get(sessionId) === controller) this.runningTurns.delete(sessionId);
    };
  }

  /**
   * Marks the session terminated (if it is not already) and stops it at the
   * provider. Returns the session as stored afterwards.
   */
  async terminate(tenantId: string, sessionId: string, reason: TerminationReason, detail: Record<string, unknown> = {}): Promise<Session> {
    const { session, ended } = await this.database.inTenant(tenantId, async (tx) => {
      const sessions = new SessionRepository(tx);
      // A turn whose replica died would stay running with its budget reserved: the session's end is its end too.
      const orphanedTurn = await this.abandonment.closeOrphanedTurnOf(tx, tenantId, sessionId, reason);
      const ended = await sessions.markTerminated(sessionId, reason);
      const current = (await sessions.findById(sessionId))!;
      if (ended) {
        await appendAuditEvent(tx, tenantId, {
          type: 'session.terminated',
          user: current.userId,
          session: current.id,
          provider: current.provider,
          providerSession: current.providerSessionId,
          detail: { reason, ...detail, ...(orphanedTurn ? { orphanedTurnEnded: orphanedTurn } : {}) },
        });
        // Another replica may be running this session's turn: it hears this at COMMIT.
        await new SessionRepository(tx).announceEnded(sessionEndedChannel, sessionId, reason);
      }
      return { session: current, ended };
    });
    if (ended) {
      this.abortTurnOf(sessionId, reason);
      // The provider already lost it: nothing to stop there.
      if (reason === 'provider') await this.recordProviderStopped(tenantId, sessionId);
      else await this.stopAtProvider(session);
    }
    return session;
  }

  async stopAtProvider(session: Session): Promise<void> {
    const adapter = this.registry.get(session.provider);
    if (!session.providerSessionId || !adapter) return;
    const handle = handleOf(session);
    try {
      await this.calls.call(
        'provider.stopSession',
        { 'switchboard.provider': session.provider, 'switchboard.session': session.id, 'switchboard.provider_session': session.providerSessionId },
        () => adapter.stopSession(handle),
      );
      await this.recordProviderStopped(session.tenantId, session.id);
    } catch (error) {
      logger.warn({ err: error, sessionId: session.id, provider: session.provider }, 'could not stop the provider session; the reaper will retry');
    }
  }

  /** The provider session is over: its figures are final, so the session's metering is reconciled with them. */
  private async recordProviderStopped(tenantId: string, sessionId: string): Promise<void> {
    await this.database.inTenant(tenantId, (tx) => new SessionRepository(tx).markProviderStopped(sessionId));
    await this.reconciliation.reconcile(tenantId, sessionId);
  }
}

/** The abort reason of a turn whose session was terminated while it ran. */
export class SessionEndedDuringTurn extends Error {
  constructor(readonly reason: TerminationReason) {
    super(`the session was terminated during the turn (${reason})`);
    this.name = 'SessionEndedDuringTurn';
  }
}
