import type { Transaction } from '#libs/persistence';
import type { SummaryGrouping } from './cost.schemas.js';
import type { PriceUnit } from './price-units.js';

/** One charge line as the export reads it: decimals as exact text, datetimes already in FOCUS format. */
export interface ExportRow {
  id: string;
  start_us: string;
  charge_period_start: string;
  charge_period_end: string;
  billing_period_start: string;
  billing_period_end: string;
  session_id: string;
  user_id: string;
  agent_id: string;
  /** The agent's name when the line was exported (its id if the agent is gone). */
  agent_name: string;
  provider: string;
  principal_id: string | null;
  unit: PriceUnit;
  consumed_quantity: string;
  pricing_quantity: string;
  unit_price: string;
  cost: string;
  cost_basis: 'estimated' | 'provider-reported';
  price_book_version: number;
  /** `turn`, or `session-reconciliation` for the line of an ended session's reconciliation. */
  source: 'turn' | 'session-reconciliation';
  /** FOCUS ChargeClass: `Correction` when the line corrects usage of an earlier billing period. */
  charge_class: 'Correction' | null;
}

export interface ExportCursor {
  startUs: string;
  id: string;
}

export interface UsageGroupRow {
  key: string;
  active_seconds: string;
  idle_seconds: string;
  turns: string;
  sessions: string;
  input_tokens: string;
  output_tokens: string;
}

const focusTime = (expression: string) => `to_char(${expression} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')`;

const groupKeys: Record<SummaryGrouping, (at: string) => string> = {
  user: () => 'user_id',
  agent: () => 'agent_id',
  provider: () => 'provider',
  day: (at) => `to_char(${at} AT TIME ZONE 'UTC', 'YYYY-MM-DD')`,
};

/**
 * Reads of the tenant's meter rows for finance. Every query names the
 * tenant as well (RLS enforces it anyway) so the (tenant, period) indexes
 * serve it.
 */
export class CostRepository {
  constructor(private readonly tx: Transaction) {}

  async tenantName(tenantId: string): Promise<string> {
    const [row] = await this.tx.rows<{ name: string }>(`SELECT name FROM tenants WHERE id = $1`, [tenantId]);
    return row.name;
  }

  /**
   * One page of charge lines after `cursor`, in (charge period start, id)
   * order: a keyset, so every page is an index range scan and the export
   * never holds more than one page. Charge periods are whole seconds in the
   * export (start rounded down, end rounded up, and never equal).
   */
  async exportPage(tenantId: string, from: string, to: string, cursor: ExportCursor | null, limit: number): Promise<ExportRow[]> {
    return this.tx.rows<ExportRow>(
      `SELECT c.id::text AS id, (extract(epoch FROM c.charge_period_start) * 1000000)::bigint::text AS start_us,
         ${focusTime(`date_trunc('second', c.charge_period_start)`)} AS charge_period_start,
         ${focusTime(`greatest(date_trunc('second', c.charge_period_start) + interval '1 second', date_trunc('second', c.charge_period_end + interval '999999 microseconds'))`)} AS charge_period_end,
         ${focusTime(`date_trunc('month', c.charge_period_start AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'`)} AS billing_period_start,
         ${focusTime(`(date_trunc('month', c.charge_period_start AT TIME ZONE 'UTC') + interval '1 month') AT TIME ZONE 'UTC'`)} AS billing_period_end,
         c.session_id, c.user_id, c.agent_id, coalesce(a.name, c.agent_id) AS agent_name, c.provider, c.principal_id, c.unit,
         trim_scale(c.consumed_quantity)::text AS consumed_quantity, trim_scale(c.pricing_quantity)::text AS pricing_quantity,
         trim_scale(c.unit_price)::text AS unit_price, trim_scale(c.cost)::text AS cost, c.cost_basis, c.price_book_version, c.source, c.charge_class
       FROM meter_charges c LEFT JOIN agents a ON a.id = c.agent_id AND a.tenant_id = c.tenant_id
       WHERE c.tenant_id = $1 AND c.charge_period_start >= $2::timestamptz AND c.charge_period_start < $3::timestamptz
         AND ($4::bigint IS NULL OR (c.charge_period_start, c.id) > (timestamptz 'epoch' + $4::bigint * interval '1 microsecond', $5::bigint))
       ORDER BY c.charge_period_start, c.id
       LIMIT $6`,
      [tenantId, from, to, cursor?.startUs ?? null, cursor?.id ?? null, limit],
    );
  }

  /** Exact cost per group, from the same charge lines the export writes. */
  async costByGroup(tenantId: string, from: string, to: string, groupBy: SummaryGrouping): Promise<Array<{ key: string; cost: string }>> {
    return this.tx.rows(
      `SELECT ${groupKeys[groupBy]('charge_period_start')} AS key, trim_scale(sum(cost))::text AS cost
       FROM meter_charges WHERE tenant_id = $1 AND charge_period_start >= $2::timestamptz AND charge_period_start < $3::timestamptz
       GROUP BY 1`,
      [tenantId, from, to],
    );
  }

  /** What drove the bill per group, from the turns' meter records. */
  async usageByGroup(tenantId: string, from: string, to: string, groupBy: SummaryGrouping): Promise<UsageGroupRow[]> {
    return this.tx.rows(
      `SELECT ${groupKeys[groupBy]('period_start')} AS key, trim_scale(sum(active_seconds))::text AS active_seconds,
         trim_scale(sum(idle_seconds))::text AS idle_seconds, count(turn_id)::text AS turns, count(DISTINCT session_id)::text AS sessions,
         sum(input_tokens)::text AS input_tokens, sum(output_tokens)::text AS output_tokens
       FROM meter_records WHERE tenant_id = $1 AND period_start >= $2::timestamptz AND period_start < $3::timestamptz
       GROUP BY 1`,
      [tenantId, from, to],
    );
  }
}
