import type { Transaction } from '#libs/persistence';

/** What an erasure changed, by kind of record (the `user.erased` audit detail). */
export interface ErasedRecords {
  sessions: number;
  turns: number;
  meterRecords: number;
  meterCharges: number;
  budgetLedgers: number;
  budgetAlerts: number;
  deleted: number;
}

/**
 * The records outside the audit log that name an end user, as erasure
 * rewrites them (every table with a user column; see the Erasure migration):
 * the user becomes the pseudonym where the record must survive (sessions
 * and their bindings, turns, meter records and cost lines, budget ledgers),
 * and goes where it is only the user's own working state (create-session
 * Idempotency-Keys, per-user limit overrides, rate windows).
 */
export class UserRecordsRepository {
  constructor(private readonly tx: Transaction) {}

  /** The ids of every session of the user, live or ended. */
  async sessionIds(tenantId: string, userId: string): Promise<string[]> {
    const rows = await this.tx.rows<{ id: string }>(`SELECT id FROM sessions WHERE tenant_id = $1 AND user_id = $2`, [tenantId, userId]);
    return rows.map((row) => row.id);
  }

  async pseudonymise(tenantId: string, userId: string, pseudonym: string): Promise<ErasedRecords> {
    const parameters = [tenantId, userId, pseudonym];
    // Session metadata is the caller's own (ticket numbers, names): it goes with the content.
    const sessions = await this.tx.count(
      `UPDATE sessions SET user_id = $3, metadata = '{}', pending_approvals = NULL WHERE tenant_id = $1 AND user_id = $2`,
      parameters,
    );
    const turns = await this.tx.count(`UPDATE turns SET user_id = $3 WHERE tenant_id = $1 AND user_id = $2`, parameters);
    const meterRecords = await this.tx.count(`UPDATE meter_records SET user_id = $3 WHERE tenant_id = $1 AND user_id = $2`, parameters);
    const meterCharges = await this.tx.count(`UPDATE meter_charges SET user_id = $3 WHERE tenant_id = $1 AND user_id = $2`, parameters);
    // A ledger moves under the pseudonym; the pseudonym's own (an earlier erasure of the same id) absorbs it.
    const [ledgers] = await this.tx.rows<{ moved: string }>(
      `WITH moved AS (DELETE FROM budget_ledgers WHERE tenant_id = $1 AND user_id = $2 RETURNING month, reserved_usd, spent_usd),
       inserted AS (
         INSERT INTO budget_ledgers (tenant_id, user_id, month, reserved_usd, spent_usd) SELECT $1, $3, month, reserved_usd, spent_usd FROM moved
         ON CONFLICT (tenant_id, user_id, month) DO UPDATE
           SET reserved_usd = budget_ledgers.reserved_usd + EXCLUDED.reserved_usd, spent_usd = budget_ledgers.spent_usd + EXCLUDED.spent_usd
         RETURNING 1)
       SELECT count(*) AS moved FROM inserted`,
      parameters,
    );
    // Budget alerts already announced move too (an earlier erasure's row for the same threshold wins: announced once).
    const budgetAlerts = await this.tx.count(
      `WITH moved AS (DELETE FROM budget_alerts WHERE tenant_id = $1 AND scope = 'user' AND user_id = $2
                      RETURNING scope, month, threshold, spent_usd, budget_usd, crossed_at)
       INSERT INTO budget_alerts (tenant_id, scope, user_id, month, threshold, spent_usd, budget_usd, crossed_at)
       SELECT $1, scope, $3, month, threshold, spent_usd, budget_usd, crossed_at FROM moved
       ON CONFLICT DO NOTHING`,
      parameters,
    );
    let deleted = 0;
    for (const table of ['idempotency_keys', 'user_limits', 'rate_windows']) {
      deleted += await this.tx.count(`DELETE FROM ${table} WHERE tenant_id = $1 AND user_id = $2`, [tenantId, userId]);
    }
    return { sessions, turns, meterRecords, meterCharges, budgetLedgers: Number(ledgers.moved), budgetAlerts, deleted };
  }
}
