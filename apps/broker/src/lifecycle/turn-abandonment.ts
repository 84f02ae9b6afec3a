import { Inject, Injectable } from '@nestjs/common';
import { newId } from '#libs/ids';
import { Database, type Transaction } from '#libs/persistence';
import { SessionEventRepository } from '../sessions/session-event.repository.js';
import { LifecycleRepository, type ClaimedTurn } from './lifecycle.repository.js';

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

/**
 * Closes turns whose replica died mid-turn: the turn row `failed`
 * (`broker_lost_turn`), a `turn.failed` event ending the transcript, the
 * session's claim released (idle again), and the listeners told; all in one
 * transaction of the session's tenant.
 */
@Injectable()
export class TurnAbandonment {
  constructor(
    private readonly database: Database,
    @Inject(turnAbandonedListeners) private readonly listeners: readonly TurnAbandonedListener[],
  ) {}

  /** Returns whether this call closed the turn (false: the claim was released or renewed meanwhile). */
  close(claim: ClaimedTurn, olderThanMs: number): Promise<boolean> {
    return this.database.inTenant(claim.tenantId, async (tx) => {
      const lifecycle = new LifecycleRepository(tx);
      const released = await lifecycle.releaseStaleClaim(claim, olderThanMs);
      if (!released) return false;
      await lifecycle.failRunningTurn(claim.turnId, lostTurnError);
      const event = {
        id: newId('evt'),
        tenantId: claim.tenantId,
        sessionId: claim.id,
        turnId: claim.turnId,
        seq: released.seq,
        type: 'turn.failed' as const,
        at: new Date().toISOString(),
        data: { error: lostTurnError },
      };
      await new SessionEventRepository(tx).insertMany([event], released.seq + 1);
      const turn: AbandonedTurn = {
        id: claim.turnId,
        tenantId: claim.tenantId,
        sessionId: claim.id,
        userId: released.userId,
        provider: released.provider,
        startedAt: released.turnStartedAt,
      };
      for (const listener of this.listeners) await listener.onTurnAbandoned(tx, turn);
      return true;
    });
  }
}
