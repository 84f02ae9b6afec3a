import { Injectable } from '@nestjs/common';
import { AppError, notFound } from '#libs/errors';
import { Database, type Transaction } from '#libs/persistence';
import { usageDetail } from '../../../costs/usage-detail.js';
import { findOwnSession } from '../../session-access.js';
import type { SessionEventView, TurnResourceView } from '../../session.schemas.js';
import type { SessionCaller } from '../../sessions.service.js';
import type { TurnCancellations } from './turn-cancellation.js';

interface TurnRow {
  id: string;
  status: TurnResourceView['turn']['status'];
  output: TurnResourceView['turn']['output'];
  error: { code: string; message: string } | null;
  duration_ms: number | null;
  input_tokens: string;
  output_tokens: string;
  active_seconds: string;
  provider_active_seconds: string | null;
  vcpu_seconds: string | null;
  gib_seconds: string | null;
  compute_estimated: boolean;
  /** From the turn's meter record (none while it runs). */
  cache_read_input_tokens: string | null;
  cache_creation_5m_input_tokens: string | null;
  cache_creation_1h_input_tokens: string | null;
  tokens_reported: boolean | null;
}

interface EventRow {
  id: string;
  session_id: string;
  turn_id: string | null;
  seq: string;
  type: SessionEventView['type'];
  at: Date;
  data: Record<string, unknown>;
}

/** A turn's state and stored events, read in the caller's transaction (the caller proved the session is theirs). */
export class TurnReads {
  constructor(private readonly tx: Transaction) {}

  async view(sessionId: string, turnId: string): Promise<TurnResourceView['turn'] | undefined> {
    const row = await this.tx.one<TurnRow>(
      `SELECT t.id, t.status, t.output, t.error, t.duration_ms, t.input_tokens, t.output_tokens, t.active_seconds, t.provider_active_seconds,
         t.vcpu_seconds, t.gib_seconds, t.compute_estimated,
         m.cache_read_input_tokens, m.cache_creation_5m_input_tokens, m.cache_creation_1h_input_tokens, m.tokens_reported
       FROM turns t LEFT JOIN meter_records m ON m.turn_id = t.id AND m.kind = 'turn'
       WHERE t.id = $1 AND t.session_id = $2`,
      [turnId, sessionId],
    );
    if (!row) return undefined;
    return {
      id: row.id,
      status: row.status,
      output: row.output,
      // As the JSON answer of the turn counts them: the provider's active seconds when it reported them.
      usage: {
        inputTokens: Number(row.input_tokens),
        outputTokens: Number(row.output_tokens),
        activeSeconds: Number(row.provider_active_seconds ?? row.active_seconds),
        // The detail the JSON answer of the turn gave, from what its row and meter record kept.
        ...usageDetail({
          inputTokens: Number(row.input_tokens),
          outputTokens: Number(row.output_tokens),
          cacheReadInputTokens: Number(row.cache_read_input_tokens ?? 0),
          cacheCreationInputTokens: Number(row.cache_creation_5m_input_tokens ?? 0) + Number(row.cache_creation_1h_input_tokens ?? 0),
          ...(row.tokens_reported === false ? { usageReported: false } : {}),
          ...(row.vcpu_seconds !== null ? { vcpuSeconds: Number(row.vcpu_seconds) } : {}),
          ...(row.gib_seconds !== null ? { gibSeconds: Number(row.gib_seconds) } : {}),
          computeEstimated: row.compute_estimated,
        }),
      },
      durationMs: row.duration_ms,
      ...(row.error ? { error: row.error } : {}),
    };
  }

  async status(sessionId: string, turnId: string): Promise<TurnResourceView['turn']['status'] | undefined> {
    return (await this.tx.one<{ status: TurnResourceView['turn']['status'] }>(`SELECT status FROM turns WHERE id = $1 AND session_id = $2`, [turnId, sessionId]))?.status;
  }

  /** The turn's stored events after `afterSeq`, at most `limit`, in seq order. */
  async eventsAfter(sessionId: string, turnId: string, afterSeq: number, limit: number): Promise<SessionEventView[]> {
    const rows = await this.tx.rows<EventRow>(
      `SELECT id, session_id, turn_id, seq, type, at, data FROM session_events
       WHERE session_id = $1 AND turn_id = $2 AND seq > $3 ORDER BY seq LIMIT $4`,
      [sessionId, turnId, afterSeq, limit],
    );
    return rows.map((row) => ({ id: row.id, sessionId: row.session_id, turnId: row.turn_id, seq: Number(row.seq), type: row.type, at: row.at.toISOString(), data: row.data }));
  }
}

/**
 * Turns as resources (API.md §4): one turn's view and its stored events,
 * under the session routes' binding rule: another user's or tenant's
 * session is 404 exactly as a missing session (audited as `access.denied`);
 * a turn that is not the caller's session's is 404 too.
 */
@Injectable()
export class TurnResources {
  constructor(private readonly database: Database) {}

  async view(caller: SessionCaller, sessionId: string, turnId: string): Promise<TurnResourceView> {
    const turn = await this.database.inTenant(caller.tenantId, async (tx) => {
      const session = await findOwnSession(tx, caller, sessionId, 'turn.get');
      return session ? ((await new TurnReads(tx).view(sessionId, turnId)) ?? null) : undefined;
    });
    // Another's session reads exactly as a missing one; a missing turn of one's own session is the turn.
    if (turn === undefined) throw notFound('session');
    if (turn === null) throw notFound('turn');
    return { turn };
  }

  /** The turn's stored events after `afterSeq` as a page (`nextAfter` when more may follow). */
  async events(caller: SessionCaller, sessionId: string, turnId: string, afterSeq: number, limit: number): Promise<{ data: SessionEventView[]; nextAfter: number | null }> {
    const events = await this.database.inTenant(caller.tenantId, async (tx) => {
      const session = await findOwnSession(tx, caller, sessionId, 'turn.events');
      if (!session) return undefined;
      const reads = new TurnReads(tx);
      if (!(await reads.status(sessionId, turnId))) return null;
      return reads.eventsAfter(sessionId, turnId, afterSeq, limit);
    });
    if (events === undefined) throw notFound('session');
    if (events === null) throw notFound('turn');
    return { data: events, nextAfter: events.length === limit ? events[events.length - 1].seq : null };
  }

  /**
   * Cancels the caller's turn wherever it runs: `accepted` (202) while it
   * runs, with its view as it is now; an ended turn is answered with its
   * final view (200).
   */
  async cancel(caller: SessionCaller, sessionId: string, turnId: string, cancellations: TurnCancellations): Promise<{ accepted: boolean; view: TurnResourceView }> {
    const view = await this.view(caller, sessionId, turnId);
    if (view.turn.status !== 'running') return { accepted: false, view };
    try {
      await cancellations.request(turnId);
    } catch {
      throw new AppError('not_ready', 'the cancel could not be sent to the replicas; retry shortly', { retryAfterSeconds: 1 });
    }
    return { accepted: true, view };
  }

  /** Throws 404 unless the turn is the caller's. */
  async requireTurn(caller: SessionCaller, sessionId: string, turnId: string): Promise<void> {
    const found = await this.database.inTenant(caller.tenantId, async (tx) => {
      const session = await findOwnSession(tx, caller, sessionId, 'turn.events');
      return session ? (await new TurnReads(tx).status(sessionId, turnId)) !== undefined : undefined;
    });
    if (found === undefined) throw notFound('session');
    if (!found) throw notFound('turn');
  }
}
