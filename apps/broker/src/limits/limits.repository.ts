import { hotStatement, type Transaction } from '#libs/persistence';
import { onlyIfFinishedTurn } from '../sessions/turns/finished-turn.js';
import type { Policy } from './limits.schemas.js';

export type StoredPolicy = Partial<Policy>;
export type RateKind = 'session_create' | 'turn';

/** The tenant's stored policy and the user's override (either may be empty). */
export interface StoredPolicies {
  tenant: StoredPolicy;
  user: StoredPolicy;
}

export interface StoredPolicyColumns {
  tenant_policy: StoredPolicy | null;
  user_policy: StoredPolicy | null;
}

/**
 * The select-list that reads both stored policies (as `tenant_policy` and
 * `user_policy`), for a statement that wants them without a round trip of
 * their own (a turn's claim). `userParameter` is the user id's placeholder.
 */
export function storedPolicyColumns(userParameter: string): string {
  return `(SELECT policy FROM tenant_limits) AS tenant_policy, (SELECT policy FROM user_limits WHERE user_id = ${userParameter}) AS user_policy`;
}

export function storedPoliciesOf(row: StoredPolicyColumns | undefined): StoredPolicies {
  return { tenant: row?.tenant_policy ?? {}, user: row?.user_policy ?? {} };
}

/**
 * Both ledgers' settlement; each ledger row also says which alert thresholds
 * (percent of its budget, `$9`) this turn's cost crossed: spent before it
 * below the threshold, spent after at or above. The ledger row is locked by
 * the update, so concurrent settlements see consecutive amounts and each
 * crossing is seen by exactly one turn — all of them when a turn jumps two.
 */
const settleTurnStatement = hotStatement(
  'settle_turn_budgets',
  `INSERT INTO budget_ledgers (tenant_id, user_id, month, spent_usd)
   SELECT $1, ledger.user_id, $3, $4::numeric FROM (VALUES ($2::text), ('')) ledger (user_id)
   WHERE ${onlyIfFinishedTurn('$10')}
   ON CONFLICT (tenant_id, user_id, month) DO UPDATE SET
     spent_usd = budget_ledgers.spent_usd + EXCLUDED.spent_usd,
     reserved_usd = greatest(0, budget_ledgers.reserved_usd - CASE WHEN budget_ledgers.user_id = '' THEN $6::numeric ELSE $5::numeric END)
   RETURNING CASE WHEN user_id = '' THEN $8::numeric IS NOT NULL AND spent_usd >= $8::numeric
                  ELSE $7::numeric IS NOT NULL AND spent_usd >= $7::numeric END AS exhausted,
     user_id, spent_usd::text AS spent,
     ARRAY(SELECT t FROM unnest($9::int[]) AS t, (SELECT CASE WHEN user_id = '' THEN $8::numeric ELSE $7::numeric END AS budget) b
           WHERE b.budget > 0 AND spent_usd - $4::numeric < b.budget * t / 100 AND spent_usd >= b.budget * t / 100 ORDER BY t) AS crossed`,
);

/**
 * What a session create is admitted on (see `LimitEnforcer.admitSession`):
 * both stored policies, the live sessions of the user and of the tenant, and
 * the user's creates in the current minute's window.
 */
export interface SessionAdmissionState {
  policies: StoredPolicies;
  liveForUser: number;
  liveInTenant: number;
  createsThisMinute: number;
}

/**
 * A CTE body that counts one session create in the user's current-minute
 * window when `takeParameter` is true, for the statement that binds the
 * session (the admission decided on the count under the chain head lock).
 */
export function countSessionCreateSql(tenantParameter: string, userParameter: string, takeParameter: string): string {
  return `INSERT INTO rate_windows (tenant_id, user_id, kind, window_start, count)
     SELECT ${tenantParameter}, ${userParameter}, 'session_create', date_trunc('minute', now()), 1 WHERE ${takeParameter}::boolean
     ON CONFLICT (tenant_id, user_id, kind, window_start) DO UPDATE SET count = rate_windows.count + 1`;
}

/** A budget alert threshold one turn's settlement crossed. */
export interface CrossedThreshold {
  scope: 'user' | 'tenant';
  /** The user of a user budget; '' for the tenant's. */
  userId: string;
  threshold: number;
  spentUsd: string;
  budgetUsd: string;
}

/** Limits state of the transaction's tenant: policies, live counts, rate windows, budget ledgers. */
export class LimitsRepository {
  constructor(private readonly tx: Transaction) {}

  /** The budget a turn reserved when it was claimed (none when no budget applied). */
  async reservationOfTurn<T>(turnId: string): Promise<T | undefined> {
    const row = await this.tx.one<{ budget_reservation: T | null }>(`SELECT budget_reservation FROM turns WHERE id = $1`, [turnId]);
    return row?.budget_reservation ?? undefined;
  }

  async tenantPolicy(): Promise<StoredPolicy> {
    const rows = await this.tx.rows<{ policy: StoredPolicy }>(`SELECT policy FROM tenant_limits`);
    return rows[0]?.policy ?? {};
  }

  /** The tenant's policy and the user's override, in one round trip. */
  async policies(userId: string): Promise<StoredPolicies> {
    const [row] = await this.tx.rows<StoredPolicyColumns>(`SELECT ${storedPolicyColumns('$1')}`, [userId]);
    return storedPoliciesOf(row);
  }

  async userPolicy(userId: string): Promise<StoredPolicy> {
    const rows = await this.tx.rows<{ policy: StoredPolicy }>(`SELECT policy FROM user_limits WHERE user_id = $1`, [userId]);
    return rows[0]?.policy ?? {};
  }

  /** Merges `changes` into the stored policy (null is kept: "no limit") and returns the result. */
  async updateTenantPolicy(tenantId: string, changes: StoredPolicy): Promise<StoredPolicy> {
    const [row] = await this.tx.rows<{ policy: StoredPolicy }>(
      `INSERT INTO tenant_limits (tenant_id, policy) VALUES ($1, $2)
       ON CONFLICT (tenant_id) DO UPDATE SET policy = tenant_limits.policy || $2, updated_at = now()
       RETURNING policy`,
      [tenantId, JSON.stringify(changes)],
    );
    return row.policy;
  }

  async updateUserPolicy(tenantId: string, userId: string, changes: StoredPolicy): Promise<StoredPolicy> {
    const [row] = await this.tx.rows<{ policy: StoredPolicy }>(
      `INSERT INTO user_limits (tenant_id, user_id, policy) VALUES ($1, $2, $3)
       ON CONFLICT (tenant_id, user_id) DO UPDATE SET policy = user_limits.policy || $3, updated_at = now()
       RETURNING policy`,
      [tenantId, userId, JSON.stringify(changes)],
    );
    return row.policy;
  }

  async deleteUserPolicy(userId: string): Promise<void> {
    await this.tx.rows(`DELETE FROM user_limits WHERE user_id = $1`, [userId]);
  }

  /** Sessions in provisioning, idle or active: of the user, and of the whole tenant. */
  async liveSessions(tenantId: string, userId: string): Promise<{ user: number; tenant: number }> {
    const [row] = await this.tx.rows<{ user_live: string; tenant_live: string }>(
      `SELECT count(*) FILTER (WHERE user_id = $2) AS user_live, count(*) AS tenant_live
       FROM sessions WHERE tenant_id = $1 AND status <> 'terminated'`,
      [tenantId, userId],
    );
    return { user: Number(row.user_live), tenant: Number(row.tenant_live) };
  }

  /**
   * Turns in flight in the tenant, on every replica (a claimed session is
   * `active` with a current turn). Exact only while the caller holds the
   * tenant's audit chain head, as every turn claim does until it commits.
   */
  async turnsInFlight(tenantId: string): Promise<number> {
    const [row] = await this.tx.rows<{ running: string }>(
      `SELECT count(*) AS running FROM sessions WHERE tenant_id = $1 AND status = 'active' AND current_turn_id IS NOT NULL`,
      [tenantId],
    );
    return Number(row.running);
  }

  /**
   * Counts one event in the current minute's window unless the window is
   * already at `limit`. Returns the new count, or undefined when refused
   * (nothing counted). Atomic under concurrency: one conditional upsert.
   */
  async takeFromWindow(tenantId: string, userId: string, kind: RateKind, limit: number): Promise<number | undefined> {
    const rows = await this.tx.rows<{ count: number }>(
      `INSERT INTO rate_windows (tenant_id, user_id, kind, window_start, count) VALUES ($1, $2, $3, date_trunc('minute', now()), 1)
       ON CONFLICT (tenant_id, user_id, kind, window_start) DO UPDATE SET count = rate_windows.count + 1
         WHERE rate_windows.count < $4
       RETURNING count`,
      [tenantId, userId, kind, limit],
    );
    return limit <= 0 ? undefined : rows[0]?.count;
  }

  async windowCount(userId: string, kind: RateKind): Promise<number> {
    const rows = await this.tx.rows<{ count: number }>(
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
    // One statement: a first reservation of the month inserts the ledger (if
    // the amount fits at all); later ones add to it only while it fits.
    const rows = await this.tx.rows<unknown>(
      `INSERT INTO budget_ledgers (tenant_id, user_id, month, reserved_usd)
       SELECT $1, $2, $3, $4::numeric WHERE $4::numeric <= $5::numeric
       ON CONFLICT (tenant_id, user_id, month) DO UPDATE SET reserved_usd = budget_ledgers.reserved_usd + EXCLUDED.reserved_usd
         WHERE budget_ledgers.spent_usd + budget_ledgers.reserved_usd + EXCLUDED.reserved_usd <= $5::numeric
       RETURNING 1`,
      [tenantId, userId, month, amount, budget],
    );
    return rows.length > 0;
  }

  /**
   * After a turn, on the user's and the tenant's ledger at once: releases
   * what each reserved, books the cost, and says whether either is now at
   * or over its budget (null: no budget), and which alert thresholds the
   * spend crossed. `andCommit`: the transaction's last statement, sent with
   * the COMMIT in one round trip. Writes nothing, and answers neither
   * exhausted nor crossed, unless this transaction ended the turn
   * `settle.turnId` (finished-turn.ts): it goes out with the turn's end.
   */
  async settleBoth(
    settle: {
    tenantId: string;
    userId: string;
    month: string;
    spent: string;
    userReserved: string;
    tenantReserved: string;
    userBudget: string | null;
    tenantBudget: string | null;
    alertThresholds: number[];
    turnId: string;
    },
    options: { andCommit: boolean },
  ): Promise<{ exhausted: boolean; crossed: CrossedThreshold[] }> {
    const values = [
      settle.tenantId, settle.userId, settle.month, settle.spent, settle.userReserved, settle.tenantReserved, settle.userBudget, settle.tenantBudget,
      settle.alertThresholds, settle.turnId,
    ];
    type Settled = { exhausted: boolean; user_id: string; spent: string; crossed: number[] };
    const rows = options.andCommit ? await this.tx.final<Settled>(settleTurnStatement, values) : await this.tx.hot<Settled>(settleTurnStatement, values);
    const crossed = rows.flatMap((row) =>
      row.crossed.map((threshold): CrossedThreshold => {
        const scope = row.user_id === '' ? 'tenant' : 'user';
        return { scope, userId: row.user_id, threshold, spentUsd: row.spent, budgetUsd: (scope === 'tenant' ? settle.tenantBudget : settle.userBudget)! };
      }),
    );
    return { exhausted: rows.some((row) => row.exhausted), crossed };
  }

  /** Releases a reservation and books what was really spent. */
  async settle(tenantId: string, userId: string, month: string, reserved: string, spent: string): Promise<void> {
    await this.tx.rows(
      `INSERT INTO budget_ledgers (tenant_id, user_id, month) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
      [tenantId, userId, month],
    );
    await this.tx.rows(
      `UPDATE budget_ledgers SET reserved_usd = greatest(0, reserved_usd - $4::numeric), spent_usd = spent_usd + $5::numeric
       WHERE tenant_id = $1 AND user_id = $2 AND month = $3`,
      [tenantId, userId, month, reserved, spent],
    );
  }

  async ledger(userId: string, month: string): Promise<{ spent: string; reserved: string }> {
    const rows = await this.tx.rows<{ spent_usd: string; reserved_usd: string }>(
      `SELECT spent_usd, reserved_usd FROM budget_ledgers WHERE user_id = $1 AND month = $2`,
      [userId, month],
    );
    return { spent: rows[0]?.spent_usd ?? '0', reserved: rows[0]?.reserved_usd ?? '0' };
  }
}
