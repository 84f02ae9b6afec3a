import { Injectable } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { notFound } from '#libs/errors';
import { Database } from '#libs/persistence';
import { failedTurnError } from '../../runtimes/provider-failures.js';
import { SessionEventRepository } from '../session-event.repository.js';
import { SessionRepository } from '../session.repository.js';
import type { SessionCaller } from '../sessions.service.js';
import { terminatedError } from './turn-claim.js';
import type { TurnDelivery } from './turn-delivery.js';
import type { SettledTurn } from './turn-settlement.js';
import { TurnRepository, type RecordedTurn } from './turn.repository.js';

/** How often a repeated request looks for its running turn's next events. */
const followIntervalMs = 200;

/**
 * Answers a request whose `Idempotency-Key` already started a turn (API.md
 * §4 "Idempotent turns"): the same turn again, never a second provider
 * call. An ended turn is answered from its record (JSON: its view or its
 * problem; SSE: its stored events); a running one is followed to its end.
 */
@Injectable()
export class TurnRepeats {
  constructor(private readonly database: Database) {}

  async answer(caller: SessionCaller, sessionId: string, turnId: string, delivery: TurnDelivery): Promise<SettledTurn> {
    delivery.repeated();
    let afterSeq = 0;
    let opened = false;
    for (;;) {
      const { recorded, events } = await this.database.inTenant(caller.tenantId, async (tx) => ({
        recorded: await new TurnRepository(tx).findView(turnId),
        events: await new SessionEventRepository(tx).listForTurn(sessionId, turnId, afterSeq),
      }));
      if (!recorded) throw notFound('turn');
      if (events.length > 0 && !opened) {
        delivery.open();
        opened = true;
      }
      for (const event of events) delivery.send(event);
      afterSeq = events.at(-1)?.seq ?? afterSeq;
      // The row ends in the transaction that stores the terminal event, which this read saw with it.
      if (recorded.status !== 'running') return this.settled(caller, recorded);
      await sleep(followIntervalMs);
    }
  }

  /** The ended turn's answer, as its first request got it. */
  private async settled(caller: SessionCaller, recorded: RecordedTurn): Promise<SettledTurn> {
    const { turn } = recorded;
    if (turn.status !== 'failed' || !turn.error) return { turn };
    if (turn.error.code === 'session_terminated') {
      const session = await this.database.inTenant(caller.tenantId, (tx) => new SessionRepository(tx).findById(recorded.sessionId));
      if (session) return { turn, problem: terminatedError(session) };
    }
    return { turn, problem: failedTurnError(turn.error, turn) };
  }
}
