import type { Transaction } from '#libs/persistence';
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
  constructor(private readonly tx: Transaction) {}

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
    await this.tx.rows(
      `WITH stored AS (
         INSERT INTO session_events (tenant_id, session_id, seq, id, turn_id, type, at, data) VALUES ${tuples.join(', ')}
       )
       UPDATE sessions SET next_event_seq = greatest(next_event_seq, $${sessionParameter + 1}) WHERE id = $${sessionParameter}`,
      values,
    );
  }

  /**
   * Events after `afterSeq`, at most `limit` of them and, past the first, at
   * most `maxBytes` of data (as JSON text): the sizes are added up in the
   * database, so a page of large events is never read whole to be cut.
   * `more`: there may be events after the page.
   */
  async listAfter(sessionId: string, afterSeq: number, limit: number, maxBytes: number): Promise<{ events: SessionEventView[]; more: boolean }> {
    const rows = await this.tx.rows<EventRow & { candidates: string }>(
      `WITH candidates AS (
         SELECT seq, octet_length(data::text) AS bytes FROM session_events WHERE session_id = $1 AND seq > $2 ORDER BY seq LIMIT $3
       ), sized AS (
         SELECT seq, sum(bytes) OVER (ORDER BY seq) AS upto, row_number() OVER (ORDER BY seq) AS n FROM candidates
       )
       SELECT e.id, e.session_id, e.turn_id, e.seq, e.type, e.at, e.data, (SELECT count(*) FROM candidates) AS candidates
       FROM sized s JOIN session_events e ON e.session_id = $1 AND e.seq = s.seq
       WHERE s.upto <= $4 OR s.n = 1
       ORDER BY e.seq`,
      [sessionId, afterSeq, limit, maxBytes],
    );
    const candidates = rows.length > 0 ? Number(rows[0].candidates) : 0;
    const events = rows.map((row) => ({
      id: row.id,
      sessionId: row.session_id,
      turnId: row.turn_id,
      seq: Number(row.seq),
      type: row.type,
      at: row.at.toISOString(),
      data: row.data,
    }));
    // A full page by rows keeps the contract of a cursor even when nothing follows; a page cut by bytes has more.
    return { events, more: candidates === limit || events.length < candidates };
  }
}
