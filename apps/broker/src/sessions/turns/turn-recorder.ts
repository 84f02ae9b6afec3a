import pg from 'pg';
import { newId } from '#libs/ids';
import { Database, type Transaction } from '#libs/persistence';
import { isPoolCheckoutTimeout } from '../../http/problem-details.js';
import { logger } from '../../logging/logger.js';
import { type StoredEvent } from '../session-event.repository.js';
import type { EventType, SessionEventView } from '../session.schemas.js';

/** A turn's events not stored yet, and the session's next free seq after them. */
export interface PendingTranscript {
  events: StoredEvent[];
  nextSeq: number;
}

/** An event of a turn, numbered `seq` (`turn.started` is made this way by the claim, which stores it). */
export function turnEvent(ids: { sessionId: string; turnId: string }, seq: number, type: EventType, data: Record<string, unknown>): SessionEventView {
  return { id: newId('evt'), sessionId: ids.sessionId, turnId: ids.turnId, seq, type, at: new Date().toISOString(), data };
}

/**
 * Numbers a turn's events (`seq`, per session, monotonic) and hands them to
 * the live listener in `seq` order, each stored type only once it is
 * durable: what a client saw is in the transcript, whatever happens to this
 * replica next (issue 16 item 9). `message.delta` is not stored and goes out
 * at once, unless a stored event is ahead of it (order holds).
 *
 * A stored event is written (one round trip, `Database.writeInTenant`) as
 * soon as anything follows it, or after {@link lingerMs} when nothing does:
 * a stored event the turn's end follows at once (a turn with one message
 * and no tools: its `message.completed`) goes with the turn's accounting
 * instead, in its transaction (`finish`), and costs no round trip of its
 * own (issue 17). Events that arrive while a write is in flight wait and go
 * in the next write together (group commit), so a burst costs one write
 * per round trip, not per event.
 */
export class TurnRecorder {
  private nextSeq: number;
  /** Stored-type events not written yet, in seq order. */
  private unwritten: StoredEvent[] = [];
  /** Events numbered but not handed to the listener yet (behind a stored event still being written), in seq order. */
  private held: SessionEventView[] = [];
  private writing: Promise<void> | undefined;
  /** Set while a stored event waits to see whether the turn's end follows it. */
  private lingering: NodeJS.Timeout | undefined;
  private finishing = false;
  private failure: unknown;

  constructor(
    private readonly database: Database,
    private readonly ids: { tenantId: string; sessionId: string; turnId: string },
    firstSeq: number,
    private readonly listener: (event: SessionEventView) => void,
  ) {
    this.nextSeq = firstSeq;
  }

  /** The next event, numbered but not recorded. */
  private allocate(type: EventType, data: Record<string, unknown>): SessionEventView {
    return turnEvent(this.ids, this.nextSeq++, type, data);
  }

  /** Sends an already-stored event to the listener. */
  announce(event: SessionEventView): void {
    this.listener(event);
  }

  record(type: EventType, data: Record<string, unknown>): SessionEventView {
    const event = this.allocate(type, data);
    if (type === 'message.delta') {
      if (this.held.length === 0) this.listener(event);
      else this.held.push(event);
    } else {
      this.held.push(event);
      this.unwritten.push({ ...event, tenantId: this.ids.tenantId });
    }
    if (this.lingering) {
      // The turn goes on: what waited is written now, with this event if it is stored.
      clearTimeout(this.lingering);
      this.lingering = undefined;
      this.startWrite();
    } else if (type !== 'message.delta' && !this.writing) {
      this.lingering = setTimeout(() => {
        this.lingering = undefined;
        this.startWrite();
      }, lingerMs);
    }
    return event;
  }

  /**
   * Records the turn's terminal event: `work` (the turn's accounting) gets
   * it, with every event not yet stored, and must store them in its
   * transaction; only after that commits does the listener see them and the
   * terminal event. A client that saw `turn.completed` can rely on it.
   */
  async finish(
    type: 'turn.completed' | 'turn.failed',
    data: Record<string, unknown>,
    work: (tx: Transaction, transcript: PendingTranscript) => Promise<void>,
  ): Promise<SessionEventView> {
    this.finishing = true;
    clearTimeout(this.lingering);
    this.lingering = undefined;
    while (this.writing) await this.writing;
    const event = this.allocate(type, data);
    const events = [...this.unwritten, { ...event, tenantId: this.ids.tenantId }];
    this.unwritten = [];
    // Pipelined: the opening goes with the turn's end (issue 17: every round trip of a turn counts).
    await whileThePoolIsBusy(() => this.database.inTenant(this.ids.tenantId, (tx) => work(tx, { events, nextSeq: this.nextSeq }), { pipelined: true }), this.ids);
    this.release(event.seq);
    this.listener(event);
    return event;
  }

  private startWrite(): void {
    if (this.writing || this.finishing || this.failure || this.unwritten.length === 0) return;
    this.writing = this.write().finally(() => {
      this.writing = undefined;
      this.startWrite();
    });
  }

  private async write(): Promise<void> {
    const batch = this.unwritten;
    this.unwritten = [];
    try {
      await this.database.writeInTenant(this.ids.tenantId, insertEventsSql(batch, this.nextSeq));
    } catch (error) {
      // Keep the events (and everything behind them) for the final transaction, which retries them once.
      logger.error({ err: error, sessionId: this.ids.sessionId, turnId: this.ids.turnId }, 'could not store turn events yet');
      this.unwritten = [...batch, ...this.unwritten];
      this.failure = error;
      return;
    }
    this.release(batch[batch.length - 1].seq);
  }

  /** Hands out the held events up to `durableSeq`, and the deltas behind them up to the next stored event not yet durable. */
  private release(durableSeq: number): void {
    while (this.held.length > 0 && (this.held[0].seq <= durableSeq || this.held[0].type === 'message.delta')) this.listener(this.held.shift()!);
  }
}

/**
 * The turn's record, retried while every database connection of the
 * replica is taken (pg-pool's checkout timeout: nothing was sent). The turn
 * has ended at its provider and its record is owed: answering the client
 * `database_busy` instead would leave the turn running and its session
 * claimed, and only a dead replica's turns are swept. Measured: 9,500 turns
 * released at once on one replica with 10 connections. Any other failure,
 * or a pool still busy after `recordPatienceMs`, is thrown as before.
 */
async function whileThePoolIsBusy<T>(attempt: () => Promise<T>, ids: { sessionId: string; turnId: string }): Promise<T> {
  const giveUpAt = Date.now() + recordPatienceMs;
  for (let waitMs = 50; ; waitMs = Math.min(waitMs * 2, 1_000)) {
    try {
      return await attempt();
    } catch (error) {
      if (!isPoolCheckoutTimeout(error) || Date.now() + waitMs > giveUpAt) throw error;
      logger.warn({ sessionId: ids.sessionId, turnId: ids.turnId, waitMs }, "every database connection is busy: the turn's record waits for one");
      await new Promise((resolve) => setTimeout(resolve, waitMs));
    }
  }
}

const recordPatienceMs = 5 * 60_000;

/**
 * How long a stored event nothing follows waits for the turn's end before
 * it is written on its own: a provider ends a turn within milliseconds of
 * its last message, and a client sees the event this much later at most.
 */
const lingerMs = 50;

/**
 * Stores events and moves the session's next free seq past `nextSeq`, as
 * one statement with its values as literals (for `Database.writeInTenant`).
 */
function insertEventsSql(events: StoredEvent[], nextSeq: number): string {
  const literal = (value: string | null) => (value === null ? 'NULL' : pg.escapeLiteral(value));
  const tuples = events.map(
    (event) =>
      `(${literal(event.tenantId)}, ${literal(event.sessionId)}, ${Number(event.seq)}, ${literal(event.id)}, ${literal(event.turnId)}, ${literal(event.type)}, ${literal(event.at)}::timestamptz, ${literal(JSON.stringify(event.data))}::jsonb)`,
  );
  return `WITH stored AS (
    INSERT INTO session_events (tenant_id, session_id, seq, id, turn_id, type, at, data) VALUES ${tuples.join(', ')}
  )
  UPDATE sessions SET next_event_seq = greatest(next_event_seq, ${Number(nextSeq)}) WHERE id = ${literal(events[0].sessionId)}`;
}
