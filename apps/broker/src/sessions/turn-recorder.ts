import type { EntityManager } from 'typeorm';
import { newId } from '#libs/ids';
import { Database } from '#libs/persistence';
import { logger } from '../logging/logger.js';
import { SessionEventRepository, type StoredEvent } from './session-event.repository.js';
import { SessionRepository } from './session.repository.js';
import type { EventType, SessionEventView } from './session.schemas.js';

/**
 * Numbers a turn's events (`seq`, per session, monotonic), hands each to the
 * live listener at once, and persists every type but `message.delta` in
 * order, batching whatever arrived while the previous write was in flight.
 * Writes never hold up the stream; {@link settle} waits for them.
 */
export class TurnRecorder {
  private nextSeq: number;
  private pending: StoredEvent[] = [];
  private writing: Promise<void> = Promise.resolve();
  private failure: unknown;

  constructor(
    private readonly database: Database,
    private readonly ids: { tenantId: string; sessionId: string; turnId: string },
    firstSeq: number,
    private readonly listener: (event: SessionEventView) => void,
  ) {
    this.nextSeq = firstSeq;
  }

  record(type: EventType, data: Record<string, unknown>): SessionEventView {
    const event: SessionEventView = {
      id: newId('evt'),
      sessionId: this.ids.sessionId,
      turnId: this.ids.turnId,
      seq: this.nextSeq++,
      type,
      at: new Date().toISOString(),
      data,
    };
    this.listener(event);
    if (type !== 'message.delta') {
      this.pending.push({ ...event, tenantId: this.ids.tenantId });
      this.writing = this.writing.then(() => this.flush());
    }
    return event;
  }

  /**
   * Records the turn's terminal event in the same transaction as `work` (the
   * turn's accounting), after every earlier event is stored; only then does
   * the listener see it. A client that saw `turn.completed` can rely on it.
   */
  async finish(
    type: 'turn.completed' | 'turn.failed',
    data: Record<string, unknown>,
    work: (manager: EntityManager) => Promise<void>,
  ): Promise<SessionEventView> {
    await this.settle().catch(() => undefined); // a lost intermediate event must not lose the accounting
    const event: SessionEventView = {
      id: newId('evt'),
      sessionId: this.ids.sessionId,
      turnId: this.ids.turnId,
      seq: this.nextSeq++,
      type,
      at: new Date().toISOString(),
      data,
    };
    await this.database.inTenant(this.ids.tenantId, async (manager) => {
      await new SessionEventRepository(manager).insertMany([{ ...event, tenantId: this.ids.tenantId }]);
      await new SessionRepository(manager).advanceEventSeq(this.ids.sessionId, this.nextSeq);
      await work(manager);
    });
    this.listener(event);
    return event;
  }

  /** Waits until every recorded event is stored; throws if a write failed. */
  async settle(): Promise<void> {
    await this.writing;
    if (this.failure) throw this.failure instanceof Error ? this.failure : new Error('could not store turn events', { cause: this.failure });
  }

  private async flush(): Promise<void> {
    if (this.pending.length === 0 || this.failure) return;
    const batch = this.pending;
    this.pending = [];
    try {
      await this.database.inTenant(this.ids.tenantId, async (manager) => {
        await new SessionEventRepository(manager).insertMany(batch);
        await new SessionRepository(manager).advanceEventSeq(this.ids.sessionId, this.nextSeq);
      });
    } catch (error) {
      logger.error({ err: error, sessionId: this.ids.sessionId, turnId: this.ids.turnId }, 'could not store turn events');
      this.failure = error;
    }
  }
}
