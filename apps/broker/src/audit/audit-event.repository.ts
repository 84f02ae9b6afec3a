import type { Transaction } from '#libs/persistence';
import type { AuditActor, AuditErasure, AuditHttp } from './audit-log.js';
import type { AuditEventView } from './audit.schemas.js';

export interface AuditRow {
  tenant_id: string;
  seq: string;
  id: string;
  at: Date;
  type: string;
  user_id: string | null;
  actor_kind: AuditActor['kind'];
  actor_id: string | null;
  session_id: string | null;
  provider: string | null;
  provider_session_id: string | null;
  request_id: string | null;
  detail: Record<string, unknown>;
  prev_hash: string;
  hash: string;
  key_id: string | null;
  http: AuditHttp | null;
  erasure: AuditErasure | null;
}

const columns = `tenant_id, seq, id, at, type, user_id, actor_kind, actor_id, session_id, provider, provider_session_id, request_id,
  detail, prev_hash, hash, key_id, http, erasure`;

export const toAuditEventView = (row: AuditRow): AuditEventView => ({
  id: row.id,
  seq: Number(row.seq),
  at: row.at.toISOString(),
  type: row.type,
  tenant: row.tenant_id,
  user: row.user_id,
  actor: { kind: row.actor_kind, id: row.actor_id },
  session: row.session_id,
  provider: row.provider,
  providerSession: row.provider_session_id,
  requestId: row.request_id,
  detail: row.detail,
  keyId: row.key_id,
  http: row.http,
  ...(row.erasure ? { erasure: row.erasure } : {}),
  hash: row.hash,
  prevHash: row.prev_hash,
});

export interface AuditFilter {
  tenantId: string;
  user?: string;
  session?: string;
  type?: string;
  from?: string;
  to?: string;
  afterSeq: number;
  limit: number;
}

/**
 * Reads of the audit log (writes go through `appendAuditEvent`). Every query
 * is keyset-paginated on (tenant_id, seq) and each filter has an index that
 * starts with (tenant_id, <filter>, seq), so a page costs the same at the
 * millionth event as at the first.
 */
export class AuditEventRepository {
  constructor(private readonly tx: Transaction) {}

  async list(filter: AuditFilter): Promise<AuditEventView[]> {
    // A time range becomes a seq range (time is monotonic in seq per tenant),
    // so every query walks a (tenant_id, …, seq) index. The explicit
    // tenant_id (RLS enforces it anyway) is what lets the planner use them.
    const rows = await this.tx.rows<AuditRow>(
      `WITH bounds AS (
         SELECT (SELECT seq FROM audit_events WHERE tenant_id = $8 AND at >= $5 ORDER BY at, seq LIMIT 1) AS low,
                (SELECT seq FROM audit_events WHERE tenant_id = $8 AND at >= $6 ORDER BY at, seq LIMIT 1) AS high
       )
       SELECT ${columns} FROM audit_events, bounds
       WHERE tenant_id = $8 AND seq > $1 AND ($2::text IS NULL OR user_id = $2) AND ($3::text IS NULL OR session_id = $3)
         AND ($4::text IS NULL OR type = $4)
         AND ($5::timestamptz IS NULL OR (bounds.low IS NOT NULL AND seq >= bounds.low))
         AND ($6::timestamptz IS NULL OR bounds.high IS NULL OR seq < bounds.high)
       ORDER BY seq LIMIT $7`,
      [filter.afterSeq, filter.user ?? null, filter.session ?? null, filter.type ?? null, filter.from ?? null, filter.to ?? null, filter.limit,
        filter.tenantId],
    );
    return rows.map(toAuditEventView);
  }

  /** Events of every tenant (or one), keyset-paginated on the time-sortable id. */
  async listAcrossTenants(filter: Omit<AuditFilter, 'tenantId' | 'afterSeq'> & { tenantId?: string; afterId: string | null }): Promise<AuditEventView[]> {
    const rows = await this.tx.rows<AuditRow>(
      `SELECT ${columns} FROM audit_events
       WHERE ($1::text IS NULL OR tenant_id = $1) AND ($2::text IS NULL OR id > $2) AND ($3::text IS NULL OR user_id = $3)
         AND ($4::text IS NULL OR session_id = $4) AND ($5::text IS NULL OR type = $5) AND ($6::timestamptz IS NULL OR at >= $6)
         AND ($7::timestamptz IS NULL OR at < $7)
       ORDER BY id LIMIT $8`,
      [filter.tenantId ?? null, filter.afterId, filter.user ?? null, filter.session ?? null, filter.type ?? null, filter.from ?? null,
        filter.to ?? null, filter.limit],
    );
    return rows.map(toAuditEventView);
  }

  /**
   * Every event of the tenant that names the user: as its user, or anywhere
   * in its detail (a limit's reason quotes the user id). `detail::text` is
   * JSON, so the id is looked for as JSON writes it inside a string.
   */
  async naming(tenantId: string, userId: string): Promise<AuditEventView[]> {
    const rows = await this.tx.rows<AuditRow>(
      `SELECT ${columns} FROM audit_events WHERE tenant_id = $1 AND (user_id = $2 OR strpos(detail::text, $3) > 0) ORDER BY seq`,
      [tenantId, userId, JSON.stringify(userId).slice(1, -1)],
    );
    return rows.map(toAuditEventView);
  }

  /** Stores an event's erased form: its user and detail with the pseudonym, and the seal over them (hash and chain unchanged). */
  async storeErased(event: AuditEventView & { erasure: AuditErasure }): Promise<void> {
    await this.tx.count(`UPDATE audit_events SET user_id = $3, detail = $4, erasure = $5 WHERE tenant_id = $1 AND seq = $2`, [
      event.tenant, event.seq, event.user, JSON.stringify(event.detail), JSON.stringify(event.erasure),
    ]);
  }

  /** The chain head: the last seq and hash appended for the tenant. */
  async head(tenantId: string): Promise<{ lastSeq: number; lastHash: string } | undefined> {
    const rows = await this.tx.rows<{ last_seq: string; last_hash: string }>(
      `SELECT last_seq, last_hash FROM audit_chain_heads WHERE tenant_id = $1`,
      [tenantId],
    );
    return rows[0] && { lastSeq: Number(rows[0].last_seq), lastHash: rows[0].last_hash };
  }
}
