import { hotStatement, type Transaction } from '#libs/persistence';
import type { ChargeLine } from './charge-lines.js';
import { lineText } from './charge-lines.js';
import { onlyIfFinishedTurn } from '../sessions/turns/finished-turn.js';
import type { PriceUnit } from './price-units.js';

/**
 * When a turn ran, since when its session was idle before it, and the
 * prices it is charged at: its start, idle-since and prices read by its
 * claim ({@link TurnWindowStart}), its end on the broker's clock when it is
 * recorded.
 */
export interface TurnWindow {
  startUs: bigint;
  endUs: bigint;
  idleSinceUs: bigint;
  priceBookVersion: number;
  prices: Partial<Record<PriceUnit, string>>;
}

/** A turn's metering window as its claim reads it ({@link turnWindowStartColumns}): all but the end. */
export type TurnWindowStart = Omit<TurnWindow, 'endUs'>;

/** A meter record as written: numeric columns as decimal text. */
export interface MeterRecord {
  tenantId: string;
  sessionId: string;
  turnId: string;
  userId: string;
  agentId: string;
  provider: string;
  principalId: string | null;
  turnStatus: string;
  startUs: bigint;
  endUs: bigint;
  activeSeconds: string;
  activeBasis: 'estimated' | 'provider-reported';
  brokerActiveSeconds: string;
  providerActiveSeconds: string | null;
  idleSeconds: string;
  inputTokens: number;
  outputTokens: number;
  cacheReadInputTokens: number;
  cacheCreation5mInputTokens: number;
  cacheCreation1hInputTokens: number;
  vcpuSeconds: string | null;
  gibSeconds: string | null;
  computeEstimated: boolean;
  /** False when the provider reported no token counts (the token columns are then zeros, not measurements). */
  tokensReported: boolean;
  priceBookVersion: number;
  costUsd: string;
}

const fromMicros = (placeholder: string) => `(timestamptz 'epoch' + ${placeholder}::bigint * interval '1 microsecond')`;

/** The columns of {@link turnWindowStartColumns}; {@link turnWindowStartOf} reads them. */
export interface TurnWindowStartColumns {
  window_start_us: string;
  window_idle_since_us: string;
  window_price_book_version: number;
  window_prices: Partial<Record<PriceUnit, string>>;
}

/**
 * Columns of the statement that claims a session for a turn (no round trip
 * of its own), for the turn's meter record: the turn's start (the claim
 * transaction's `now()`, which is also the `started_at` its row gets in that
 * transaction), the end of the session's previous turn (or its creation),
 * and the newest price book version with its prices for the session's
 * provider. `session` names the claimed sessions row.
 *
 * So a turn is priced with the price book in force when it started, not
 * when it ended (issue 17: the record then needs nothing from the database
 * before it writes). Every turn of the session that has an end is an
 * earlier turn (one turn at a time per session), so the latest end is taken
 * without comparing it to now: a previous end written on a broker clock a
 * little ahead of the database's still counts (idle time is never negative:
 * `MeteringService.recordTurn` clamps it).
 */
export function turnWindowStartColumns(session: string): string {
  return `(extract(epoch FROM now()) * 1000000)::bigint::text AS window_start_us,
     (extract(epoch FROM coalesce((SELECT max(p.ended_at) FROM turns p WHERE p.session_id = ${session}.id), ${session}.created_at)) * 1000000)::bigint::text
       AS window_idle_since_us,
     (SELECT max(version) FROM price_book_versions) AS window_price_book_version,
     coalesce((SELECT json_object_agg(pr.unit, pr.unit_price::text) FROM prices pr
               WHERE pr.version = (SELECT max(version) FROM price_book_versions) AND pr.provider = ${session}.provider), '{}') AS window_prices`;
}

export const turnWindowStartOf = (row: TurnWindowStartColumns): TurnWindowStart => ({
  startUs: BigInt(row.window_start_us),
  idleSinceUs: BigInt(row.window_idle_since_us),
  priceBookVersion: row.window_price_book_version,
  prices: row.window_prices,
});

/**
 * The window of a turn that ends now on the broker's clock (never before
 * its start, whatever the two clocks' skew): the end its meter record and
 * its row (`turns.ended_at`) both get.
 */
export function turnWindowEndingNow(start: TurnWindowStart): TurnWindow {
  const nowUs = BigInt(Date.now()) * 1000n;
  return { ...start, endUs: nowUs > start.startUs ? nowUs : start.startUs };
}

const insertTurnMeterStatement = hotStatement(
  'insert_turn_meter',
  `WITH meter AS (
     INSERT INTO meter_records (tenant_id, session_id, turn_id, user_id, agent_id, provider, principal_id, turn_status, period_start, period_end,
       active_seconds, active_basis, broker_active_seconds, provider_active_seconds, idle_seconds, input_tokens, output_tokens,
       vcpu_seconds, gib_seconds, compute_estimated, price_book_version, cost_usd,
       cache_read_input_tokens, cache_creation_5m_input_tokens, cache_creation_1h_input_tokens, tokens_reported)
     SELECT $1, $2, $3, $4, $5, $6, $7, $8, ${fromMicros('$9')}, ${fromMicros('$10')}, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22::numeric,
       $24, $25, $26, $27
     WHERE ${onlyIfFinishedTurn('$3')}
     RETURNING id
   ), charges AS (
     INSERT INTO meter_charges (tenant_id, meter_id, session_id, user_id, agent_id, provider, principal_id, charge_period_start, charge_period_end,
       unit, consumed_quantity, pricing_quantity, unit_price, cost, cost_basis, price_book_version)
     SELECT $1, meter.id, $2, $4, $5, $6, $7, ${fromMicros('c.start_us')}, ${fromMicros('c.end_us')},
       c.unit, c.consumed::numeric, c.pricing::numeric, c.unit_price::numeric, c.cost::numeric, c.basis, $21
     FROM meter, jsonb_to_recordset($23::jsonb) AS c(unit text, start_us text, end_us text, consumed text, pricing text, unit_price text, cost text, basis text)
   )
   UPDATE sessions SET cost_usd = cost_usd + $22::numeric WHERE id = $2 AND EXISTS (SELECT 1 FROM meter)`,
);

/** Meter rows of the transaction's tenant: append-only. */
export class MeterRepository {
  constructor(private readonly tx: Transaction) {}

  /**
   * The record, its charge lines and the session's running cost: one
   * statement, which writes nothing unless this transaction finished the
   * record's turn (`onlyIfFinishedTurn`: it goes out with the turn's end,
   * whose outcome it cannot wait for).
   */
  async insert(record: MeterRecord, lines: ChargeLine[]): Promise<void> {
    // Nothing reads its result: it goes with the transaction's next statement (a turn's budget settlement).
    this.tx.defer(insertTurnMeterStatement, [
        record.tenantId, record.sessionId, record.turnId, record.userId, record.agentId, record.provider, record.principalId, record.turnStatus,
        record.startUs.toString(), record.endUs.toString(), record.activeSeconds, record.activeBasis, record.brokerActiveSeconds, record.providerActiveSeconds,
        record.idleSeconds, record.inputTokens, record.outputTokens, record.vcpuSeconds, record.gibSeconds, record.computeEstimated, record.priceBookVersion,
        record.costUsd, JSON.stringify(lines.map(lineText)), record.cacheReadInputTokens, record.cacheCreation5mInputTokens, record.cacheCreation1hInputTokens,
        record.tokensReported,
      ]);
  }

  /**
   * What the session's records metered so far (turns and any reconciliation),
   * whether it is already reconciled, and the reconciliation's window: now on
   * the database clock, whether the session's first metered usage lies in an
   * earlier (calendar-month) billing period than now, and the prices in force.
   */
  async sessionMetered(sessionId: string): Promise<SessionMetered> {
    const [row] = await this.tx.rows<SessionMeteredColumns>(
      `SELECT coalesce(sum(m.input_tokens), 0)::text AS input_tokens, coalesce(sum(m.output_tokens), 0)::text AS output_tokens,
         coalesce(sum(m.cache_read_input_tokens), 0)::text AS cache_read, coalesce(sum(m.cache_creation_5m_input_tokens), 0)::text AS cache_write_5m,
         coalesce(sum(m.cache_creation_1h_input_tokens), 0)::text AS cache_write_1h,
         coalesce(trim_scale(sum(m.vcpu_seconds)), 0)::text AS vcpu_seconds, coalesce(trim_scale(sum(m.gib_seconds)), 0)::text AS gib_seconds,
         bool_or(m.kind = 'session-reconciliation') AS reconciled,
         (extract(epoch FROM now()) * 1000000)::bigint::text AS now_us,
         coalesce(date_trunc('month', min(m.period_start) AT TIME ZONE 'UTC') < date_trunc('month', now() AT TIME ZONE 'UTC'), false) AS corrects_earlier_period,
         v.version,
         coalesce((SELECT json_object_agg(pr.unit, pr.unit_price::text) FROM prices pr WHERE pr.version = v.version AND pr.provider = s.provider), '{}') AS prices
       FROM sessions s CROSS JOIN (SELECT max(version) AS version FROM price_book_versions) v
       LEFT JOIN meter_records m ON m.session_id = s.id
       WHERE s.id = $1
       GROUP BY s.id, s.provider, v.version`,
      [sessionId],
    );
    return {
      tokens: {
        input: BigInt(row.input_tokens),
        output: BigInt(row.output_tokens),
        cacheRead: BigInt(row.cache_read),
        cacheWrite5m: BigInt(row.cache_write_5m),
        cacheWrite1h: BigInt(row.cache_write_1h),
      },
      vcpuSeconds: row.vcpu_seconds,
      gibSeconds: row.gib_seconds,
      reconciled: row.reconciled === true,
      nowUs: BigInt(row.now_us),
      correctsEarlierPeriod: row.corrects_earlier_period,
      priceBookVersion: row.version,
      prices: row.prices,
    };
  }

  /**
   * The session's reconciliation record and its charge lines, and the
   * session's running cost: one statement. A session already reconciled
   * (a concurrent end) keeps its first reconciliation; returns whether this
   * one was written.
   */
  async insertReconciliation(record: MeterRecord, lines: ChargeLine[], chargeClass: 'Correction' | null): Promise<boolean> {
    const rows = await this.tx.rows<{ id: string }>(
      `WITH meter AS (
         INSERT INTO meter_records (tenant_id, session_id, turn_id, kind, user_id, agent_id, provider, principal_id, turn_status, period_start, period_end,
           active_seconds, active_basis, broker_active_seconds, provider_active_seconds, idle_seconds, input_tokens, output_tokens,
           vcpu_seconds, gib_seconds, compute_estimated, price_book_version, cost_usd,
           cache_read_input_tokens, cache_creation_5m_input_tokens, cache_creation_1h_input_tokens, tokens_reported)
         VALUES ($1, $2, NULL, 'session-reconciliation', $3, $4, $5, NULL, 'reconciliation', ${fromMicros('$6')}, ${fromMicros('$7')}, 0, 'estimated', 0, NULL, 0, $8, $9,
           $10, $11, $12, $13, $14::numeric, $15, $16, $17, $18)
         ON CONFLICT (session_id) WHERE kind = 'session-reconciliation' DO NOTHING
         RETURNING id
       ), charges AS (
         INSERT INTO meter_charges (tenant_id, meter_id, session_id, user_id, agent_id, provider, principal_id, charge_period_start, charge_period_end,
           unit, consumed_quantity, pricing_quantity, unit_price, cost, cost_basis, price_book_version, source, charge_class)
         SELECT $1, meter.id, $2, $3, $4, $5, NULL, ${fromMicros('c.start_us')}, ${fromMicros('c.end_us')},
           c.unit, c.consumed::numeric, c.pricing::numeric, c.unit_price::numeric, c.cost::numeric, c.basis, $13, 'session-reconciliation', $20::text
         FROM meter, jsonb_to_recordset($19::jsonb) AS c(unit text, start_us text, end_us text, consumed text, pricing text, unit_price text, cost text, basis text)
       ), session AS (
         UPDATE sessions SET cost_usd = cost_usd + $14::numeric WHERE id = $2 AND EXISTS (SELECT 1 FROM meter)
       )
       SELECT id::text FROM meter`,
      [
        record.tenantId, record.sessionId, record.userId, record.agentId, record.provider, record.startUs.toString(), record.endUs.toString(),
        record.inputTokens, record.outputTokens, record.vcpuSeconds, record.gibSeconds, record.computeEstimated, record.priceBookVersion, record.costUsd,
        record.cacheReadInputTokens, record.cacheCreation5mInputTokens, record.cacheCreation1hInputTokens, record.tokensReported,
        JSON.stringify(lines.map(lineText)), chargeClass,
      ],
    );
    return rows.length > 0;
  }
}

interface SessionMeteredColumns {
  input_tokens: string;
  output_tokens: string;
  cache_read: string;
  cache_write_5m: string;
  cache_write_1h: string;
  vcpu_seconds: string;
  gib_seconds: string;
  reconciled: boolean | null;
  now_us: string;
  corrects_earlier_period: boolean;
  version: number;
  prices: Partial<Record<PriceUnit, string>>;
}

/** A session's metered totals and its reconciliation window ({@link MeterRepository.sessionMetered}). */
export interface SessionMetered {
  tokens: { input: bigint; output: bigint; cacheRead: bigint; cacheWrite5m: bigint; cacheWrite1h: bigint };
  /** Decimal text. */
  vcpuSeconds: string;
  gibSeconds: string;
  reconciled: boolean;
  nowUs: bigint;
  correctsEarlierPeriod: boolean;
  priceBookVersion: number;
  prices: Partial<Record<PriceUnit, string>>;
}
