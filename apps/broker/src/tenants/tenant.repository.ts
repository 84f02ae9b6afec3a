import type { Transaction } from '#libs/persistence';

export interface Tenant {
  id: string;
  name: string;
  createdAt: Date;
}

interface TenantRow {
  id: string;
  name: string;
  created_at: Date;
}

const toTenant = (row: TenantRow): Tenant => ({ id: row.id, name: row.name, createdAt: row.created_at });

/** Tenants. Reads obey RLS: a tenant transaction sees only its own tenant. */
export class TenantRepository {
  constructor(private readonly tx: Transaction) {}

  async count(): Promise<number> {
    const row = await this.tx.one<{ count: string }>(`SELECT count(*) AS count FROM tenants`);
    return Number(row?.count ?? 0);
  }

  async insert(tenant: { id: string; name: string }): Promise<Tenant> {
    const [row] = await this.tx.rows<TenantRow>(`INSERT INTO tenants (id, name) VALUES ($1, $2) RETURNING id, name, created_at`, [
      tenant.id,
      tenant.name,
    ]);
    return toTenant(row);
  }

  async findById(id: string): Promise<Tenant | undefined> {
    const rows = await this.tx.rows<TenantRow>(`SELECT id, name, created_at FROM tenants WHERE id = $1`, [id]);
    return rows[0] && toTenant(rows[0]);
  }

  async findByIdOrName(value: string): Promise<Tenant | undefined> {
    const rows = await this.tx.rows<TenantRow>(`SELECT id, name, created_at FROM tenants WHERE id = $1 OR name = $1 LIMIT 1`, [
      value,
    ]);
    return rows[0] && toTenant(rows[0]);
  }

  /** Up to `limit + 1` tenants after `afterId`, in id order (one extra to detect a next page). */
  async listAfter(afterId: string | null, limit: number): Promise<Tenant[]> {
    const rows = await this.tx.rows<TenantRow>(
      `SELECT id, name, created_at FROM tenants WHERE ($1::text IS NULL OR id > $1) ORDER BY id LIMIT $2`,
      [afterId, limit + 1],
    );
    return rows.map(toTenant);
  }
}
