import type { Transaction } from '#libs/persistence';

/**
 * Transcript content, as retention and erasure delete it: the stored events
 * of a session (the deltas, messages and tool calls, which carry the text)
 * and what a turn row keeps of it (input, output, the error's message). A
 * purged turn keeps its status, timing, usage and error code, so metering,
 * limits and costs read it as before; its `content_purged_at` says when.
 * The Idempotency-Key records of purged turns go too (their request hash is
 * a digest of the input).
 */
export class TranscriptRepository {
  constructor(private readonly tx: Transaction) {}

  /** Every stored event and turn content of these sessions. Returns the events and turns purged. */
  async purgeSessions(sessionIds: string[]): Promise<{ events: number; turns: number }> {
    if (sessionIds.length === 0) return { events: 0, turns: 0 };
    const events = await this.tx.count(`DELETE FROM session_events WHERE session_id = ANY($1)`, [sessionIds]);
    const turns = await this.purgeTurns(`session_id = ANY($1) AND content_purged_at IS NULL`, [sessionIds]);
    return { events, turns };
  }

  /**
   * At most `limit` events and `limit` ended turns of the tenant older than
   * `before` (a sweep calls again until less comes back).
   */
  async purgeOlderThan(tenantId: string, before: Date, limit: number): Promise<{ events: number; turns: number }> {
    const events = await this.tx.count(
      `DELETE FROM session_events WHERE (session_id, seq) IN
         (SELECT session_id, seq FROM session_events WHERE tenant_id = $1 AND at < $2 LIMIT $3)`,
      [tenantId, before, limit],
    );
    const turns = await this.purgeTurns(
      `id IN (SELECT id FROM turns WHERE tenant_id = $1 AND started_at < $2 AND content_purged_at IS NULL AND status <> 'running' LIMIT $3)`,
      [tenantId, before, limit],
    );
    return { events, turns };
  }

  private async purgeTurns(where: string, parameters: unknown[]): Promise<number> {
    const purged = await this.tx.rows<{ id: string }>(
      `UPDATE turns SET input = 'null'::jsonb, output = '[]'::jsonb, content_purged_at = now(),
         error = CASE WHEN error IS NULL THEN NULL ELSE jsonb_build_object('code', error->'code') END
       WHERE ${where} RETURNING id`,
      parameters,
    );
    if (purged.length > 0) await this.tx.count(`DELETE FROM turn_idempotency_keys WHERE turn_id = ANY($1)`, [purged.map((turn) => turn.id)]);
    return purged.length;
  }
}
