import type { Transaction } from '#libs/persistence';
import type { ProviderId } from '#libs/runtime-spec';
import type { SessionStatus } from '../sessions/session.schemas.js';

export interface TenantSessionFilter {
  userId?: string;
  provider?: ProviderId;
  /** Undefined: every live status. */
  status?: SessionStatus;
  afterId: string | null;
  limit: number;
}

/**
 * Sessions of the transaction's tenant across its users (RLS confines the
 * tenant), for its administrators. Returns ids, newest first; the sessions
 * themselves are read through `SessionRepository`.
 */
export class TenantSessionRepository {
  constructor(private readonly tx: Transaction) {}

  /** Up to `limit + 1` ids (the extra one tells whether a next page exists). */
  async listIds(filter: TenantSessionFilter): Promise<string[]> {
    const rows = await this.tx.rows<{ id: string }>(
      `SELECT id FROM sessions
       WHERE ($1::text IS NULL OR user_id = $1) AND ($2::text IS NULL OR provider = $2)
         AND (CASE WHEN $3::text IS NULL THEN status <> 'terminated' ELSE status = $3 END)
         AND ($4::text IS NULL OR id < $4)
       ORDER BY id DESC LIMIT $5`,
      [filter.userId ?? null, filter.provider ?? null, filter.status ?? null, filter.afterId, filter.limit + 1],
    );
    return rows.map((row) => row.id);
  }
}
