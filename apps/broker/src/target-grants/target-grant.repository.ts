import type { Transaction } from '#libs/persistence';

export interface TargetGrant {
  id: string;
  tenantId: string;
  provider: string;
  kind: string;
  value: string;
  createdAt: Date;
}

interface TargetGrantRow {
  id: string;
  tenant_id: string;
  provider: string;
  kind: string;
  value: string;
  created_at: Date;
}

const columns = `id, tenant_id, provider, kind, value, created_at`;
const toGrant = (row: TargetGrantRow): TargetGrant => ({
  id: row.id,
  tenantId: row.tenant_id,
  provider: row.provider,
  kind: row.kind,
  value: row.value,
  createdAt: row.created_at,
});

/** The scopes each tenant may target. Reads obey RLS; writes are the operator's (platform scope). */
export class TargetGrantRepository {
  constructor(private readonly tx: Transaction) {}

  /** The new grant, or undefined when the tenant already holds it. */
  async insert(grant: Omit<TargetGrant, 'createdAt'>): Promise<TargetGrant | undefined> {
    const rows = await this.tx.rows<TargetGrantRow>(
      `INSERT INTO target_grants (id, tenant_id, provider, kind, value) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (tenant_id, provider, kind, value) DO NOTHING RETURNING ${columns}`,
      [grant.id, grant.tenantId, grant.provider, grant.kind, grant.value],
    );
    return rows[0] && toGrant(rows[0]);
  }

  async find(tenantId: string, provider: string, kind: string, value: string): Promise<TargetGrant | undefined> {
    const rows = await this.tx.rows<TargetGrantRow>(
      `SELECT ${columns} FROM target_grants WHERE tenant_id = $1 AND provider = $2 AND kind = $3 AND value = $4`,
      [tenantId, provider, kind, value],
    );
    return rows[0] && toGrant(rows[0]);
  }

  /** Up to `limit + 1` of a tenant's grants after `afterId`, in id order. */
  async listAfter(tenantId: string, afterId: string | null, limit: number): Promise<TargetGrant[]> {
    const rows = await this.tx.rows<TargetGrantRow>(
      `SELECT ${columns} FROM target_grants WHERE tenant_id = $1 AND ($2::text IS NULL OR id > $2) ORDER BY id LIMIT $3`,
      [tenantId, afterId, limit + 1],
    );
    return rows.map(toGrant);
  }

  /** `kind:value` of every grant the tenant holds for a provider. */
  async scopesOf(tenantId: string, provider: string): Promise<Set<string>> {
    const rows = await this.tx.rows<{ kind: string; value: string }>(
      `SELECT kind, value FROM target_grants WHERE tenant_id = $1 AND provider = $2`,
      [tenantId, provider],
    );
    return new Set(rows.map((row) => `${row.kind}:${row.value}`));
  }

  async delete(tenantId: string, id: string): Promise<TargetGrant | undefined> {
    // Through a CTE: TypeORM answers a bare DELETE … RETURNING as [rows, count].
    const rows = await this.tx.rows<TargetGrantRow>(
      `WITH gone AS (DELETE FROM target_grants WHERE tenant_id = $1 AND id = $2 RETURNING ${columns}) SELECT * FROM gone`,
      [tenantId, id],
    );
    return rows[0] && toGrant(rows[0]);
  }
}
