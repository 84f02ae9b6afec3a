import type { Transaction } from '#libs/persistence';
import { Injectable } from '@nestjs/common';
import { currentRequestContext } from '#libs/request-context';
import type { SessionTotals, TurnUsage } from '#libs/runtime-spec';
import type { Session } from '../sessions/session.repository.js';
import { priceTurn, type CostBasis, type MeteredQuantity } from './charge-lines.js';
import { formatDecimal, fromMetered, parseDecimal, roundTo, subtract, sumDecimals, type Decimal } from './decimal.js';
import { MeterRepository, type TurnWindow } from './meter.repository.js';
import { cacheWrites, tokenQuantities } from './token-quantities.js';

/** A finished turn, as the turn flow knows it when it records the end. */
export interface FinishedTurn {
  session: Pick<Session, 'id' | 'tenantId' | 'userId' | 'agentId' | 'provider'>;
  turnId: string;
  status: 'completed' | 'failed';
  usage: TurnUsage;
  /** The broker's own clock: claim to end of the provider stream. */
  durationMs: number;
}

const seconds = (value: number | undefined): Decimal | undefined => (value === undefined ? undefined : fromMetered(value, 3));

/**
 * Meters a turn inside the transaction that records its end (so a turn is
 * metered exactly once, or not at all): what drives each runtime's bill,
 * priced with the price book version in force when the turn started (read
 * by its claim, so its record sends everything at once: issue 17), plus the
 * session's running cost. Rows are append-only; a later price change makes a new version and
 * never touches them.
 *
 * - Active seconds: the provider's own figure when it reports one (Claude
 *   `usage.active_seconds`), else the broker's clock; both are kept. A
 *   failed turn without a provider figure is not priced on the broker's
 *   clock: that time may be retries and back-off that never ran remotely.
 * - Idle seconds: from the end of the session's previous turn (or its
 *   creation) to this turn's start, as the turns' rows record them (a
 *   start on the database clock, an end on the broker's). Recorded, not
 *   priced: no runtime reports what it bills for idle time.
 * - vCPU/GiB-seconds: as the adapter reported them; `estimated` when they
 *   come from the target's configured size.
 * - Tokens: uncached input, output, prompt-cache reads and writes (by
 *   lifetime), each its own unit and charge line.
 */
@Injectable()
export class MeteringService {
  /**
   * Meters the turn over `window` (its start, idle-since and prices read by
   * its claim; its end the one its row gets). Returns the turn's cost in USD
   * (a decimal string), for budget settlement. The record is deferred, and
   * written only if the transaction ended the turn (finished-turn.ts).
   */
  async recordTurn(tx: Transaction, turn: FinishedTurn, window: TurnWindow): Promise<string> {
    const meters = new MeterRepository(tx);
    const brokerActive: Decimal = { units: BigInt(Math.max(0, Math.round(turn.durationMs))), scale: 3 };
    const providerActive = seconds(turn.usage.providerActiveSeconds);
    const active = providerActive ?? brokerActive;
    const activeBasis: CostBasis = providerActive ? 'provider-reported' : 'estimated';
    const computeBasis: CostBasis = turn.usage.computeEstimated ? 'estimated' : 'provider-reported';
    const vcpuSeconds = seconds(turn.usage.vcpuSeconds);
    const gibSeconds = seconds(turn.usage.gibSeconds);
    const quantities: MeteredQuantity[] = [
      ...(providerActive || turn.status === 'completed' ? [{ unit: 'session-hour' as const, quantity: active, basis: activeBasis }] : []),
      ...(vcpuSeconds ? [{ unit: 'vcpu-hour' as const, quantity: vcpuSeconds, basis: computeBasis }] : []),
      ...(gibSeconds ? [{ unit: 'gib-hour' as const, quantity: gibSeconds, basis: computeBasis }] : []),
      ...tokenQuantities(turn.usage),
    ];
    const lines = priceTurn({ startUs: window.startUs, endUs: window.endUs, quantities, prices: window.prices });
    const idleUs = window.startUs > window.idleSinceUs ? window.startUs - window.idleSinceUs : 0n;
    const principal = currentRequestContext()?.principal;
    const costUsd = formatDecimal(sumDecimals(lines.map((line) => line.cost)));
    await meters.insert(
      {
        tenantId: turn.session.tenantId,
        sessionId: turn.session.id,
        turnId: turn.turnId,
        userId: turn.session.userId,
        agentId: turn.session.agentId,
        provider: turn.session.provider,
        principalId: principal ? principal.credential.id : null,
        turnStatus: turn.status,
        startUs: window.startUs,
        endUs: window.endUs,
        activeSeconds: formatDecimal(active),
        activeBasis,
        brokerActiveSeconds: formatDecimal(brokerActive),
        providerActiveSeconds: providerActive ? formatDecimal(providerActive) : null,
        idleSeconds: formatDecimal(roundTo({ units: idleUs, scale: 6 }, 3)),
        inputTokens: turn.usage.inputTokens,
        outputTokens: turn.usage.outputTokens,
        cacheReadInputTokens: turn.usage.cacheReadInputTokens ?? 0,
        cacheCreation5mInputTokens: cacheWrites(turn.usage).fiveMinutes,
        cacheCreation1hInputTokens: cacheWrites(turn.usage).oneHour,
        vcpuSeconds: vcpuSeconds ? formatDecimal(vcpuSeconds) : null,
        gibSeconds: gibSeconds ? formatDecimal(gibSeconds) : null,
        computeEstimated: turn.usage.computeEstimated ?? false,
        tokensReported: turn.usage.usageReported !== false,
        priceBookVersion: window.priceBookVersion,
        costUsd,
      },
      lines,
    );
    return costUsd;
  }

  /**
   * Meters the session's reconciliation, once it has ended: the difference
   * between what its records metered and what the provider reports (or the
   * adapter estimates) for the whole session, as one append-only record
   * whose lines are charged now (so the export of a closed period never
   * changes). When the session's usage began in an earlier billing period
   * (calendar month) than now, its lines are FOCUS `Correction`s.
   * A quantity the provider does not report is not reconciled. Returns
   * whether a record was written (false: the session was already reconciled).
   */
  async reconcileSession(tx: Transaction, session: Pick<Session, 'id' | 'tenantId' | 'userId' | 'agentId' | 'provider'>, reported: SessionTotals): Promise<boolean> {
    const meters = new MeterRepository(tx);
    const metered = await meters.sessionMetered(session.id);
    if (metered.reconciled) return false;
    const tokenDifference = (reportedCount: number | undefined, meteredCount: bigint): Decimal => ({ units: BigInt(reportedCount ?? 0) - meteredCount, scale: 0 });
    const reportedWrites = reported.tokens && cacheWrites(reported.tokens);
    const tokens = reported.tokens && {
      input: tokenDifference(reported.tokens.inputTokens, metered.tokens.input),
      output: tokenDifference(reported.tokens.outputTokens, metered.tokens.output),
      cacheRead: tokenDifference(reported.tokens.cacheReadInputTokens, metered.tokens.cacheRead),
      cacheWrite5m: tokenDifference(reportedWrites!.fiveMinutes, metered.tokens.cacheWrite5m),
      cacheWrite1h: tokenDifference(reportedWrites!.oneHour, metered.tokens.cacheWrite1h),
    };
    const computeBasis: CostBasis = reported.compute?.estimated === false ? 'provider-reported' : 'estimated';
    const compute = reported.compute && {
      vcpu: subtract(seconds(reported.compute.vcpuSeconds)!, parseDecimal(metered.vcpuSeconds)),
      gib: subtract(seconds(reported.compute.gibSeconds)!, parseDecimal(metered.gibSeconds)),
      basis: computeBasis,
    };
    const quantities: MeteredQuantity[] = [
      ...(compute ? [{ unit: 'vcpu-hour' as const, quantity: compute.vcpu, basis: compute.basis }, { unit: 'gib-hour' as const, quantity: compute.gib, basis: compute.basis }] : []),
      ...(tokens
        ? ([
            ['input-mtok', tokens.input],
            ['output-mtok', tokens.output],
            ['cache-read-mtok', tokens.cacheRead],
            ['cache-write-5m-mtok', tokens.cacheWrite5m],
            ['cache-write-1h-mtok', tokens.cacheWrite1h],
          ] as const).map(([unit, quantity]) => ({ unit, quantity, basis: 'provider-reported' as const }))
        : []),
    ];
    const lines = priceTurn({ startUs: metered.nowUs, endUs: metered.nowUs, quantities, prices: metered.prices });
    const costUsd = formatDecimal(sumDecimals(lines.map((line) => line.cost)));
    const count = (value: Decimal | undefined) => Number(value?.units ?? 0n);
    return meters.insertReconciliation(
      {
        tenantId: session.tenantId,
        sessionId: session.id,
        turnId: '',
        userId: session.userId,
        agentId: session.agentId,
        provider: session.provider,
        principalId: null,
        turnStatus: 'reconciliation',
        startUs: metered.nowUs,
        endUs: metered.nowUs,
        activeSeconds: '0',
        activeBasis: 'estimated',
        brokerActiveSeconds: '0',
        providerActiveSeconds: null,
        idleSeconds: '0',
        inputTokens: count(tokens?.input),
        outputTokens: count(tokens?.output),
        cacheReadInputTokens: count(tokens?.cacheRead),
        cacheCreation5mInputTokens: count(tokens?.cacheWrite5m),
        cacheCreation1hInputTokens: count(tokens?.cacheWrite1h),
        vcpuSeconds: compute ? formatDecimal(compute.vcpu) : null,
        gibSeconds: compute ? formatDecimal(compute.gib) : null,
        computeEstimated: reported.compute?.estimated ?? false,
        tokensReported: tokens !== undefined,
        priceBookVersion: metered.priceBookVersion,
        costUsd,
      },
      lines,
      metered.correctsEarlierPeriod && lines.length > 0 ? 'Correction' : null,
    );
  }
}
