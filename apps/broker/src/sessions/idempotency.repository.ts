import type { Transaction } from '#libs/persistence';

/** `Idempotency-Key` records of session creation, per (tenant, user, key), kept 24 h. */
export class IdempotencyRepository {
  constructor(private readonly tx: Transaction) {}

  async find(userId: string, key: string): Promise<{ requestHash: string; sessionId: string } | undefined> {
    const rows = await this.tx.rows<{ request_hash: string; session_id: string }>(
      `SELECT request_hash, session_id FROM idempotency_keys
       WHERE user_id = $1 AND key = $2 AND created_at > now() - interval '24 hours'`,
      [userId, key],
    );
    return rows[0] && { requestHash: rows[0].request_hash, sessionId: rows[0].session_id };
  }

  /**
   * Records the key; an expired record with the same key is replaced.
   * Returns false when a live record exists (a concurrent request with the
   * same key committed first): the caller must not create its session.
   */
  async insert(record: { tenantId: string; userId: string; key: string; requestHash: string; sessionId: string }): Promise<boolean> {
    const rows = await this.tx.rows<{ key: string }>(
      `INSERT INTO idempotency_keys (tenant_id, user_id, key, request_hash, session_id) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (tenant_id, user_id, key) DO UPDATE SET request_hash = EXCLUDED.request_hash, session_id = EXCLUDED.session_id,
         created_at = now()
       WHERE idempotency_keys.created_at <= now() - interval '24 hours'
       RETURNING key`,
      [record.tenantId, record.userId, record.key, record.requestHash, record.sessionId],
    );
    return rows.length > 0;
  }
}
