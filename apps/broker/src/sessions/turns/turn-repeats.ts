import { Injectable } from '@nestjs/common';
import { notFound } from '#libs/errors';
import { Database } from '#libs/persistence';
import { failedTurnError } from '../../runtimes/provider-failures.js';
import { SessionRepository } from '../session.repository.js';
import type { TurnView } from '../session.schemas.js';
import type { SessionCaller } from '../sessions.service.js';
import { TurnFollower, type TurnFollowSink } from './live/turn-follower.js';
import { TurnReads } from './live/turn-resources.js';
import { terminatedError } from './turn-claim.js';
import type { TurnDelivery } from './turn-delivery.js';
import type { SettledTurn } from './turn-settlement.js';

/** A follower that only waits for the end (a JSON answer is the ended turn). */
const endOnly = (): TurnFollowSink => ({ open() {}, send() {}, end() {}, gone: new Promise<void>(() => undefined) });

/**
 * Answers a request whose `Idempotency-Key` already started a turn (API.md
 * §4 "Idempotent turns"): that turn again, never a second provider call,
 * on whichever replica the retry lands. As an event stream: the turn's
 * events from its start, followed live while it runs (TurnFollower); as
 * JSON: the ended turn's view, or the problem its first request got.
 * Returns undefined when the stream has answered already.
 */
@Injectable()
export class TurnRepeats {
  constructor(
    private readonly database: Database,
    private readonly follower: TurnFollower,
  ) {}

  async answer(caller: SessionCaller, sessionId: string, turnId: string, delivery: TurnDelivery): Promise<SettledTurn | undefined> {
    const stream = delivery.repeated();
    await this.follower.follow(caller, sessionId, turnId, 0, stream ?? endOnly());
    return stream ? undefined : this.ended(caller, sessionId, turnId);
  }

  /** The ended turn's answer, as its first request got it. */
  private async ended(caller: SessionCaller, sessionId: string, turnId: string): Promise<SettledTurn> {
    const { recorded, session } = await this.database.inTenant(caller.tenantId, async (tx) => ({
      recorded: await new TurnReads(tx).view(sessionId, turnId),
      session: await new SessionRepository(tx).findById(sessionId),
    }));
    if (!recorded || recorded.status === 'running' || !session) throw notFound('turn');
    const turn: TurnView['turn'] = { ...recorded, status: recorded.status, durationMs: recorded.durationMs ?? 0 };
    if (turn.status !== 'failed' || !turn.error) return { turn };
    if (turn.error.code === 'session_terminated') return { turn, problem: terminatedError(session) };
    return { turn, problem: failedTurnError(turn.error, turn) };
  }
}
