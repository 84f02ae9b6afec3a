import type { EntityManager } from 'typeorm';
import type { EventType, SessionEventView } from './session.schemas.js';

export interface StoredEvent {
  id: string;
  tenantId: string;
  sessionId: string;
  turnId: string | null;
  seq: number;
  type: EventType;
  at: string;
  data: Record<string, unknown>;
}

interface EventRow {
  id: string;
  session_id: string;
  turn_id: string | null;
  seq: string;
  type: EventType;
  at: Date;
  data: Record<string, unknown>;
}

/** The stored transcript: every event type except `message.delta`, append-only. */
export class SessionEventRepository {
  constructor(private readonly manager: EntityManager) {}

  /**
   * Stores events and moves the session's next free seq past `nextSeq`, in
   * one statement.
   */
  async insertMany(events: StoredEvent[], nextSeq: number): Promise<void> {
    if (events.length === 0) return;
    const values: unknown[] = [];
    const tuples = events.map((event, index) => {
      values.push(event.tenantId, event.sessionId, event.seq, event.id, event.turnId, event.type, event.at, JSON.stringify(event.data));
      const base = index * 8;
      return `($${base + 1}, $${base + 2}, $${base + 3}, $${base + 4}, $${base + 5}, $${base + 6}, $${base + 7}, $${base + 8})`;
    });
    values.push(events[0].sessionId, nextSeq);
    const sessionParameter = values.length - 1;
    await this.manager.query(
      `WITH stored AS (
         INSERT INTO session_events (tenant_id, session_id, seq, id, turn_id, type, at, data) VALUES ${tuples.join(', ')}
       )
       UPDATE sessions SET next_event_seq = greatest(next_event_seq, $${sessionParameter + 1}) WHERE id = $${sessionParameter}`,
      values,
    );
  }

  async listAfter(sessionId: string, afterSeq: number, limit: number): Promise<SessionEventView[]> {
    const rows = await this.manager.query<EventRow[]>(
      `SELECT id, session_id, turn_id, seq, type, at, data FROM session_events WHERE session_id = $1 AND seq > $2 ORDER BY seq LIMIT $3`,
      [sessionId, afterSeq, limit],
    );
    return rows.map((row) => ({
      id: row.id,
      sessionId: row.session_id,
      turnId: row.turn_id,
      seq: Number(row.seq),
      type: row.type,
      at: row.at.toISOString(),
      data: row.data,
    }));
  }
}
