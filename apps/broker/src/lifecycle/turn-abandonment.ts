import { Inject, Injectable } from '@nestjs/common';
import { newId } from '#libs/ids';
import { Database, type Transaction } from '#libs/persistence';
import { SessionEventRepository } from '../sessions/session-event.repository.js';
import { LifecycleRepository, type ClaimedTurn, type RunningTurn } from './lifecycle.repository.js';
import { thisReplicaId } from './replica-presence.js';

/** A turn whose replica died before it ended, as the reaper closes it. */
export interface AbandonedTurn {
  id: string;
  tenantId: string;
  sessionId: string;
  userId: string;
  provider: string;
  startedAt: Date;
}

/**
 * Extension point: told of every turn the reaper closes as lost, inside the
 * transaction that closes it, so whatever the turn held (a budget
 * reservation) is released atomically with it. A listener that throws rolls
 * the release back; the reaper retries it at the next sweep.
 */
export interface TurnAbandonedListener {
  onTurnAbandoned(tx: Transaction, turn: AbandonedTurn): Promise<void>;
}

/**
 * Injection token of the `TurnAbandonedListener[]` the reaper calls. The app
 * module provides it (an empty list until budgets register there, e.g.
 * `useFactory: (budgets) => [budgets], inject: [Budgets]`).
 */
export const turnAbandonedListeners = Symbol('switchboard:turn-abandoned-listeners');

/** What a lost turn's row and transcript say. */
export const lostTurnError = {
  code: 'broker_lost_turn',
  message: 'the broker replica running this turn stopped before the turn ended',
} as const;

/** What a turn's row and transcript say when its session was terminated after its replica had died. */
export const orphanedTurnError = (reason: string) => ({
  code: 'session_terminated',
  message: `the session was terminated (${reason}) after the broker replica running this turn had stopped`,
});

/**
 * Closes turns whose replica died mid-turn: the turn row `failed`, a
 * `turn.failed` event ending the transcript, the session's claim released
 * (idle again, unless terminated), and the listeners told (the budget
 * reservation released); all in one transaction of the session's tenant.
 */
@Injectable()
export class TurnAbandonment {
  constructor(
    private readonly database: Database,
    @Inject(turnAbandonedListeners) private readonly listeners: readonly TurnAbandonedListener[],
  ) {}

  /**
   * The reaper's way: closes the turn if it is still running and older than
   * `olderThanMs`, whatever its session's state. Returns whether this call
   * closed it (false: it ended meanwhile).
   */
  close(claim: ClaimedTurn, olderThanMs: number): Promise<boolean> {
    return this.database.inTenant(claim.tenantId, async (tx) => {
      const turn = await new LifecycleRepository(tx).lockLostTurn(claim, olderThanMs);
      if (!turn) return false;
      await this.end(tx, claim.tenantId, claim.id, turn, lostTurnError);
      return true;
    });
  }

  /**
   * A termination's way, inside its transaction and before the session is
   * marked terminated: closes the session's running turn when the replica
   * running it is gone (replica-presence.ts). A turn a live replica runs is
   * left to that replica, which hears of the termination and settles it.
   * Returns the id of the turn it closed, if any.
   */
  async closeOrphanedTurnOf(tx: Transaction, tenantId: string, sessionId: string, reason: string): Promise<string | undefined> {
    const turn = await new LifecycleRepository(tx).lockOrphanedTurnOf(sessionId, thisReplicaId);
    if (!turn) return undefined;
    await this.end(tx, tenantId, sessionId, turn, orphanedTurnError(reason));
    return turn.id;
  }

  private async end(tx: Transaction, tenantId: string, sessionId: string, running: RunningTurn, error: { code: string; message: string }): Promise<void> {
    const lifecycle = new LifecycleRepository(tx);
    const seq = await lifecycle.releaseClaimFor(sessionId, running.id);
    await lifecycle.failRunningTurn(running.id, error);
    const event = {
      id: newId('evt'),
      tenantId,
      sessionId,
      turnId: running.id,
      seq,
      type: 'turn.failed' as const,
      at: new Date().toISOString(),
      data: { error },
    };
    await new SessionEventRepository(tx).insertMany([event], seq + 1);
    const turn: AbandonedTurn = { id: running.id, tenantId, sessionId, userId: running.userId, provider: running.provider, startedAt: running.startedAt };
    for (const listener of this.listeners) await listener.onTurnAbandoned(tx, turn);
  }
}
