import type { Transaction } from '#libs/persistence';
import type { BindingView } from './audit.schemas.js';

interface BindingRow {
  user_id: string;
  id: string;
  provider: string;
  provider_session_id: string | null;
  agent_id: string;
  agent_name: string;
  status: string;
  termination_reason: string | null;
  created_at: Date;
  ended_at: Date | null;
}

/**
 * Who owns which session, current and past: the sessions table is the
 * binding record (a session's tenant and user never change after it is bound).
 */
export class BindingRepository {
  constructor(private readonly tx: Transaction) {}

  async list(filter: { tenantId: string; user?: string; status?: string; provider?: string; afterId: string | null; limit: number }): Promise<BindingView[]> {
    const rows = await this.tx.rows<BindingRow>(
      `SELECT s.user_id, s.id, s.provider, s.provider_session_id, s.agent_id, a.name AS agent_name, s.status, s.termination_reason,
         s.created_at, s.ended_at
       FROM sessions s JOIN agents a ON a.id = s.agent_id
       WHERE s.tenant_id = $1 AND ($2::text IS NULL OR s.user_id = $2) AND ($3::text IS NULL OR s.status = $3)
         AND ($4::text IS NULL OR s.provider = $4) AND ($5::text IS NULL OR s.id > $5)
       ORDER BY s.id LIMIT $6`,
      [filter.tenantId, filter.user ?? null, filter.status ?? null, filter.provider ?? null, filter.afterId, filter.limit],
    );
    return rows.map((row) => ({
      user: row.user_id,
      session: row.id,
      provider: row.provider,
      providerSession: row.provider_session_id,
      agent: { id: row.agent_id, name: row.agent_name },
      status: row.status,
      terminationReason: row.termination_reason,
      boundAt: row.created_at.toISOString(),
      endedAt: row.ended_at?.toISOString() ?? null,
    }));
  }
}
