import type { Transaction } from '#libs/persistence';
import { onlyIfFinishedTurn } from './finished-turn.js';

/** A turn's `Idempotency-Key` record: the request it was sent with and the turn it started. */
export interface TurnKeyRecord {
  requestHash: string;
  turnId: string;
}

/** `Idempotency-Key` records of turns, per (session, key), kept 24 h (API.md §4 "Idempotent turns"). */
export class TurnIdempotencyRepository {
  constructor(private readonly tx: Transaction) {}

  async find(sessionId: string, key: string): Promise<TurnKeyRecord | undefined> {
    const row = await this.tx.one<{ request_hash: string; turn_id: string }>(
      `SELECT request_hash, turn_id FROM turn_idempotency_keys
       WHERE session_id = $1 AND key = $2 AND created_at > now() - interval '24 hours'`,
      [sessionId, key],
    );
    return row && { requestHash: row.request_hash, turnId: row.turn_id };
  }

  /**
   * Records the key for a turn just claimed; an expired record is replaced.
   * Returns false when a live record exists (a request with the same key
   * committed first): the caller must not run its turn.
   */
  async insert(record: { tenantId: string; sessionId: string; key: string; requestHash: string; turnId: string }): Promise<boolean> {
    const rows = await this.tx.rows<{ key: string }>(
      `INSERT INTO turn_idempotency_keys (tenant_id, session_id, key, request_hash, turn_id) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (session_id, key) DO UPDATE SET request_hash = EXCLUDED.request_hash, turn_id = EXCLUDED.turn_id, created_at = now()
       WHERE turn_idempotency_keys.created_at <= now() - interval '24 hours'
       RETURNING key`,
      [record.tenantId, record.sessionId, record.key, record.requestHash, record.turnId],
    );
    return rows.length > 0;
  }

  /**
   * Gives the key of a turn the provider never accepted back: a retry with
   * it is a new attempt. Deferred (it goes with the turn's record), and only
   * when this transaction ended the turn (finished-turn.ts).
   */
  release(turnId: string): void {
    this.tx.defer(`DELETE FROM turn_idempotency_keys WHERE turn_id = $1 AND ${onlyIfFinishedTurn('$1')}`, [turnId]);
  }
}
