import { newId } from '#libs/ids';
import { Database, type Transaction } from '#libs/persistence';
import { logger } from '../../logging/logger.js';
import { SessionEventRepository, type StoredEvent } from '../session-event.repository.js';
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

/** Intermediate events are written at the latest after this many, or this long, whichever comes first. */
const flushAfterEvents = 32;
const flushAfterMs = 2000;

/**
 * Numbers a turn's events (`seq`, per session, monotonic) and hands each to
 * the live listener at once. Every type but `message.delta` is stored: the
 * turn's events go to the database with its terminal event in one
 * transaction (a typical turn costs no extra round trip), and long turns
 * are flushed every {@link flushAfterEvents} events or {@link flushAfterMs}
 * so a crash loses little. Writes never hold up the stream.
 */
export class TurnRecorder {
  private nextSeq: number;
  private pending: StoredEvent[] = [];
  private writing: Promise<void> = Promise.resolve();
  private flushTimer: NodeJS.Timeout | undefined;
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
    this.listener(event);
    if (type !== 'message.delta') {
      this.pending.push({ ...event, tenantId: this.ids.tenantId });
      if (this.pending.length >= flushAfterEvents) this.scheduleFlush(0);
      else if (!this.flushTimer) this.scheduleFlush(flushAfterMs);
    }
    return event;
  }

  /**
   * Records the turn's terminal event: `work` (the turn's accounting) gets
   * it, with every event not yet stored, and must store them in its
   * transaction; only after that commits does the listener see the terminal
   * event. A client that saw `turn.completed` can rely on it.
   */
  async finish(
    type: 'turn.completed' | 'turn.failed',
    data: Record<string, unknown>,
    work: (tx: Transaction, transcript: PendingTranscript) => Promise<void>,
  ): Promise<SessionEventView> {
    this.cancelFlush();
    await this.writing;
    const event = this.allocate(type, data);
    const events = [...this.pending, { ...event, tenantId: this.ids.tenantId }];
    this.pending = [];
    await this.database.inTenant(this.ids.tenantId, (tx) => work(tx, { events, nextSeq: this.nextSeq }));
    this.listener(event);
    return event;
  }

  private scheduleFlush(delayMs: number): void {
    this.cancelFlush();
    this.flushTimer = setTimeout(() => {
      this.flushTimer = undefined;
      this.writing = this.writing.then(() => this.flush());
    }, delayMs);
    this.flushTimer.unref();
  }

  private cancelFlush(): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
  }

  private async flush(): Promise<void> {
    if (this.pending.length === 0 || this.failure) return;
    const batch = this.pending;
    this.pending = [];
    try {
      await this.database.inTenant(this.ids.tenantId, (tx) => new SessionEventRepository(tx).insertMany(batch, this.nextSeq));
    } catch (error) {
      // Keep the events for the final transaction, which retries them once.
      logger.error({ err: error, sessionId: this.ids.sessionId, turnId: this.ids.turnId }, 'could not store turn events yet');
      this.pending = [...batch, ...this.pending];
      this.failure = error;
    }
  }
}
