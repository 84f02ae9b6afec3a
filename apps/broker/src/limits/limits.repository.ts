import type { EntityManager } from 'typeorm';
import type { Policy } from './limits.schemas.js';

export type StoredPolicy = Partial<Policy>;
export type RateKind = 'session_create' | 'turn';

/** Limits state of the transaction's tenant: policies, live counts, rate windows, budget ledgers. */
export class LimitsRepository {
  constructor(private readonly manager: EntityManager) {}

  /**
   * The tenant's stored policy, with its row locked for the rest of the
   * transaction: whoever holds it is the only one creating a session for the
   * tenant, on any replica, so count-then-insert is exact.
   */
  async lockTenantPolicy(tenantId: string): Promise<StoredPolicy> {
    const [row] = await this.manager.query<{ policy: StoredPolicy }[]>(
      `INSERT INTO tenant_limits (tenant_id) VALUES ($1)
       ON CONFLICT (tenant_id) DO UPDATE SET tenant_id = tenant_limits.tenant_id
       RETURNING policy`,
      [tenantId],
    );
    return row.policy;
  }

  async tenantPolicy(): Promise<StoredPolicy> {
    const rows = await this.manager.query<{ policy: StoredPolicy }[]>(`SELECT policy FROM tenant_limits`);
    return rows[0]?.policy ?? {};
  }

  async userPolicy(userId: string): Promise<StoredPolicy> {
    const rows = await this.manager.query<{ policy: StoredPolicy }[]>(`SELECT policy FROM user_limits WHERE user_id = $1`, [userId]);
    return rows[0]?.policy ?? {};
  }

  /** Merges `changes` into the stored policy (null is kept: "no limit") and returns the result. */
  async updateTenantPolicy(tenantId: string, changes: StoredPolicy): Promise<StoredPolicy> {
    const [row] = await this.manager.query<{ policy: StoredPolicy }[]>(
      `INSERT INTO tenant_limits (tenant_id, policy) VALUES ($1, $2)
       ON CONFLICT (tenant_id) DO UPDATE SET policy = tenant_limits.policy || $2, updated_at = now()
       RETURNING policy`,
      [tenantId, JSON.stringify(changes)],
    );
    return row.policy;
  }

  async updateUserPolicy(tenantId: string, userId: string, changes: StoredPolicy): Promise<StoredPolicy> {
    const [row] = await this.manager.query<{ policy: StoredPolicy }[]>(
      `INSERT INTO user_limits (tenant_id, user_id, policy) VALUES ($1, $2, $3)
       ON CONFLICT (tenant_id, user_id) DO UPDATE SET policy = user_limits.policy || $3, updated_at = now()
       RETURNING policy`,
      [tenantId, userId, JSON.stringify(changes)],
    );
    return row.policy;
  }

  async deleteUserPolicy(userId: string): Promise<void> {
    await this.manager.query(`DELETE FROM user_limits WHERE user_id = $1`, [userId]);
  }

  /** Sessions in provisioning, idle or active: of the user, and of the whole tenant. */
  async liveSessions(tenantId: string, userId: string): Promise<{ user: number; tenant: number }> {
    const [row] = await this.manager.query<{ user_live: string; tenant_live: string }[]>(
      `SELECT count(*) FILTER (WHERE user_id = $2) AS user_live, count(*) AS tenant_live
       FROM sessions WHERE tenant_id = $1 AND status <> 'terminated'`,
      [tenantId, userId],
    );
    return { user: Number(row.user_live), tenant: Number(row.tenant_live) };
  }

  /**
   * Counts one event in the current minute's window unless the window is
   * already at `limit`. Returns the new count, or undefined when refused
   * (nothing counted). Atomic under concurrency: one conditional upsert.
   */
  async takeFromWindow(tenantId: string, userId: string, kind: RateKind, limit: number): Promise<number | undefined> {
    const rows = await this.manager.query<{ count: number }[]>(
      `INSERT INTO rate_windows (tenant_id, user_id, kind, window_start, count) VALUES ($1, $2, $3, date_trunc('minute', now()), 1)
       ON CONFLICT (tenant_id, user_id, kind, window_start) DO UPDATE SET count = rate_windows.count + 1
         WHERE rate_windows.count < $4
       RETURNING count`,
      [tenantId, userId, kind, limit],
    );
    return limit <= 0 ? undefined : rows[0]?.count;
  }

  async windowCount(userId: string, kind: RateKind): Promise<number> {
    const rows = await this.manager.query<{ count: number }[]>(
      `SELECT count FROM rate_windows WHERE user_id = $1 AND kind = $2 AND window_start = date_trunc('minute', now())`,
      [userId, kind],
    );
    return rows[0]?.count ?? 0;
  }

  /**
   * Reserves `amount` on a budget ledger if spent + reserved + amount stays
   * within `budget` (exact numeric arithmetic in the database). Returns
   * whether it was reserved. The row lock serialises reservations of one
   * ledger across replicas.
   */
  async reserve(tenantId: string, userId: string, month: string, amount: string, budget: string): Promise<boolean> {
    await this.manager.query(
      `INSERT INTO budget_ledgers (tenant_id, user_id, month) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
      [tenantId, userId, month],
    );
    const [rows] = await this.manager.query<[unknown[], number]>(
      `UPDATE budget_ledgers SET reserved_usd = reserved_usd + $4::numeric
       WHERE tenant_id = $1 AND user_id = $2 AND month = $3 AND spent_usd + reserved_usd + $4::numeric <= $5::numeric
       RETURNING 1`,
      [tenantId, userId, month, amount, budget],
    );
    return rows.length > 0;
  }

  /** Releases a reservation and books what was really spent. */
  async settle(tenantId: string, userId: string, month: string, reserved: string, spent: string): Promise<void> {
    await this.manager.query(
      `INSERT INTO budget_ledgers (tenant_id, user_id, month) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
      [tenantId, userId, month],
    );
    await this.manager.query(
      `UPDATE budget_ledgers SET reserved_usd = greatest(0, reserved_usd - $4::numeric), spent_usd = spent_usd + $5::numeric
       WHERE tenant_id = $1 AND user_id = $2 AND month = $3`,
      [tenantId, userId, month, reserved, spent],
    );
  }

  /** Whether the ledger has reached its budget. */
  async exhausted(userId: string, month: string, budget: string): Promise<boolean> {
    const rows = await this.manager.query<{ exhausted: boolean }[]>(
      `SELECT spent_usd >= $3::numeric AS exhausted FROM budget_ledgers WHERE user_id = $1 AND month = $2`,
      [userId, month, budget],
    );
    return rows[0]?.exhausted ?? false;
  }

  async ledger(userId: string, month: string): Promise<{ spent: string; reserved: string }> {
    const rows = await this.manager.query<{ spent_usd: string; reserved_usd: string }[]>(
      `SELECT spent_usd, reserved_usd FROM budget_ledgers WHERE user_id = $1 AND month = $2`,
      [userId, month],
    );
    return { spent: rows[0]?.spent_usd ?? '0', reserved: rows[0]?.reserved_usd ?? '0' };
  }
}
