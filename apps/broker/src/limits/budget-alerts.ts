import type { Transaction } from '#libs/persistence';
import { nudgeDeliveriesAfterCommit, queuePayloadDeliveriesSql } from '../webhooks/webhook-outbox.js';
import type { CrossedThreshold } from './limits.repository.js';

/**
 * Records the thresholds a settlement crossed and queues their
 * `budget.threshold_crossed` webhook events, in the settlement's
 * transaction, one statement. The primary key (tenant, scope, user, month,
 * threshold) admits each crossing once: a crossing another turn already
 * recorded (it can only be seen twice if a budget or threshold changed) is
 * neither recorded nor announced again.
 */
const recordAndQueueSql = `
  WITH alerts AS (
    SELECT * FROM jsonb_to_recordset($3::jsonb) AS a(scope text, user_id text, threshold int, spent numeric, budget numeric)
  ), recorded AS (
    INSERT INTO budget_alerts (tenant_id, scope, user_id, month, threshold, spent_usd, budget_usd)
    SELECT $1, scope, user_id, $2::date, threshold, spent, budget FROM alerts
    ON CONFLICT DO NOTHING
    RETURNING scope, user_id, threshold, spent_usd, budget_usd
  ), queued AS (
    ${queuePayloadDeliveriesSql(
      '$1',
      `'budget.threshold_crossed'`,
      `jsonb_build_object('tenant', $1::text, 'scope', r.scope, 'user', nullif(r.user_id, ''), 'threshold', r.threshold,
         'spentUsd', r.spent_usd::text, 'budgetUsd', r.budget_usd::text, 'period', to_char($2::date, 'YYYY-MM'))`,
      '(SELECT * FROM recorded ORDER BY scope DESC, threshold) r',
    )}
  )
  SELECT (SELECT count(*) FROM queued)::int AS queued`;

export async function recordBudgetAlerts(tx: Transaction, tenantId: string, month: string, crossed: CrossedThreshold[]): Promise<void> {
  if (crossed.length === 0) return;
  const alerts = crossed.map((entry) => ({ scope: entry.scope, user_id: entry.userId, threshold: entry.threshold, spent: entry.spentUsd, budget: entry.budgetUsd }));
  const [row] = await tx.rows<{ queued: number }>(recordAndQueueSql, [tenantId, month, JSON.stringify(alerts)]);
  if (row && row.queued > 0) nudgeDeliveriesAfterCommit(tx);
}
