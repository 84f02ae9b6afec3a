import { Injectable } from '@nestjs/common';
import { Database } from '#libs/persistence';
import { ReplicaTurnGate } from '../../../limits/replica-turn-gate.js';
import { logger } from '../../../logging/logger.js';
import type { SessionEventView } from '../../session.schemas.js';
import type { SessionCaller } from '../../sessions.service.js';
import { TurnBus } from './turn-bus.js';
import { TurnReads, TurnResources } from './turn-resources.js';

/** Where a followed turn's events go (an event stream; see turn-delivery.ts). */
export interface TurnFollowSink {
  /** The turn is the caller's: the stream may open. Called once, before the first event. */
  open(): void;
  send(event: SessionEventView): void;
  /** The turn ended (its terminal event was sent), or the client went away. */
  end(): void;
  /** Resolves when the client goes away. */
  readonly gone: Promise<void>;
}

/**
 * How often a follower asks the database whether its turn is still running:
 * the turn's end reaches it even when no notification does (a replica that
 * died mid-turn, whose turn the reaper ends; a listening connection that was
 * down for a while).
 */
const statusPollMs = 3_000;
/** Stored events read per statement while replaying. */
const replayPageSize = 500;

const isTerminal = (event: SessionEventView) => event.type === 'turn.completed' || event.type === 'turn.failed';

/**
 * Follows a turn from any replica (API.md §4, "Turns as resources"):
 * subscribes to the live-turn bus first, then replays the stored events
 * after `afterSeq`, then sends what the bus brings, `message.delta`
 * included, until the terminal event. Every event is sent at most once and
 * in `seq` order: whatever the replay already sent (or the client already
 * had) is skipped by `seq`, so nothing falls between replay and live. A
 * delta published while nobody followed is gone (deltas are not stored).
 * A follower counts as an open stream of this replica
 * (LIMIT_MAX_OPEN_STREAMS_PER_REPLICA), and stops when the client goes away.
 *
 * The one entry point for attaching to a running turn (resume, and an
 * idempotent retry of POST turns).
 */
@Injectable()
export class TurnFollower {
  constructor(
    private readonly database: Database,
    private readonly bus: TurnBus,
    private readonly resources: TurnResources,
    private readonly replicaGate: ReplicaTurnGate,
  ) {}

  /** Throws 404 (before `sink.open`) unless the turn is the caller's; resolves once the stream ended. */
  async follow(caller: SessionCaller, sessionId: string, turnId: string, afterSeq: number, sink: TurnFollowSink): Promise<void> {
    const leave = this.replicaGate.enter();
    let unsubscribe: (() => Promise<void>) | undefined;
    let timer: NodeJS.Timeout | undefined;
    try {
      await this.resources.requireTurn(caller, sessionId, turnId);
      /** What the bus brought, in order; `replayBefore`: the runner publishes every event from that seq on (see TurnBus.subscribe). */
      const inbox: Array<SessionEventView | { replayBefore: number }> = [];
      let wake: (() => void) | undefined;
      const nudge = () => {
        const waiting = wake;
        wake = undefined;
        waiting?.();
      };
      try {
        unsubscribe = await this.bus.subscribe(
          turnId,
          (event) => {
            inbox.push(event);
            nudge();
          },
          (fromSeq) => {
            inbox.push({ replayBefore: fromSeq || Number.MAX_SAFE_INTEGER });
            nudge();
          },
        );
      } catch (error) {
        // Without the bus the follower still ends with the turn, from the transcript.
        logger.warn({ err: error, sessionId, turnId }, 'following a turn without live events: the bus is unavailable');
      }

      let lastSeq = afterSeq;
      let ended = false;
      /** Sends the event unless the client has it; whether it ended the turn. */
      const deliver = (event: SessionEventView) => {
        if (event.seq <= lastSeq) return;
        lastSeq = event.seq;
        sink.send(event);
        if (isTerminal(event)) ended = true;
      };
      /** Sends the stored events after the last one sent (and before `before`); whether the turn still runs. */
      const catchUp = async (before = Number.MAX_SAFE_INTEGER) => {
        for (;;) {
          const { running, events } = await this.database.inTenant(caller.tenantId, async (tx) => {
            const reads = new TurnReads(tx);
            // The status first: a turn that ended before the read has its terminal event in it.
            const status = await reads.status(sessionId, turnId);
            return { running: status === 'running', events: await reads.eventsAfter(sessionId, turnId, lastSeq, replayPageSize) };
          });
          // Those from `before` on come from the bus, behind deltas a stored one must not overtake (an ended turn's are all here).
          const bound = running ? before : Number.MAX_SAFE_INTEGER;
          for (const event of events) if (event.seq < bound) deliver(event);
          if (events.length < replayPageSize || ended || events[events.length - 1].seq >= bound) return running && !ended;
        }
      };

      sink.open();
      let closed = false;
      void sink.gone.then(() => {
        closed = true;
        nudge();
      });
      let running = await catchUp();
      let pollDue = false;
      timer = setInterval(() => {
        pollDue = true;
        nudge();
      }, statusPollMs);
      timer.unref();
      while (running && !ended && !closed) {
        if (inbox.length === 0 && !pollDue) await new Promise<void>((resolve) => (wake = resolve));
        while (inbox.length > 0 && !ended) {
          const next = inbox.shift()!;
          // Before anything published after it: a stored event the runner had not published has a lower seq.
          if ('replayBefore' in next) running = await catchUp(next.replayBefore);
          else deliver(next);
        }
        if (pollDue && !ended && !closed) {
          pollDue = false;
          // Only the status while it runs: the bus brings the events, and a stored one read early would overtake deltas still on their way.
          const status = await this.database.inTenant(caller.tenantId, (tx) => new TurnReads(tx).status(sessionId, turnId));
          if (status !== 'running') running = await catchUp();
        }
      }
      sink.end();
    } finally {
      if (timer) clearInterval(timer);
      await unsubscribe?.().catch(() => undefined);
      leave();
    }
  }
}
