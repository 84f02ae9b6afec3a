import type { Transaction } from '#libs/persistence';
import { Injectable } from '@nestjs/common';
import { currentRequestContext } from '#libs/request-context';
import type { TurnUsage } from '#libs/runtime-spec';
import type { Session } from '../sessions/session.repository.js';
import { priceTurn, type CostBasis, type MeteredQuantity } from './charge-lines.js';
import { formatDecimal, fromMetered, roundTo, sumDecimals, type Decimal } from './decimal.js';
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
 * priced with the price book version in force, plus the session's running
 * cost. Rows are append-only; a later price change makes a new version and
 * never touches them.
 *
 * - Active seconds: the provider's own figure when it reports one (Claude
 *   `usage.active_seconds`), else the broker's clock; both are kept. A
 *   failed turn without a provider figure is not priced on the broker's
 *   clock: that time may be retries and back-off that never ran remotely.
 * - Idle seconds: from the end of the session's previous turn (or its
 *   creation) to this turn's start, on the database clock. Recorded, not
 *   priced: no runtime reports what it bills for idle time.
 * - vCPU/GiB-seconds: as the adapter reported them; `estimated` when they
 *   come from the target's configured size.
 * - Tokens: uncached input, output, prompt-cache reads and writes (by
 *   lifetime), each its own unit and charge line.
 */
@Injectable()
export class MeteringService {
  /**
   * Meters the turn over `window`, read by the statement that ended it in
   * the same transaction. Returns the turn's cost in USD (a decimal string),
   * for budget settlement.
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
        priceBookVersion: window.priceBookVersion,
        costUsd,
      },
      lines,
    );
    return costUsd;
  }
}
