import { divide, formatDecimal, isZero, multiply, parseDecimal, subtract, sumDecimals, type Decimal } from './decimal.js';
import { consumedQuantityScale, priceUnitDefinitions, pricingQuantityScale, type PriceUnit } from './price-units.js';

/** Whether a quantity is the provider's own figure or the broker's estimate (its clock, a configured size). */
export type CostBasis = 'estimated' | 'provider-reported';

/** What one turn consumed, per price unit, and on what basis. */
export interface MeteredQuantity {
  unit: PriceUnit;
  quantity: Decimal;
  basis: CostBasis;
}

/** One priced line: the row of the FOCUS export. Times are epoch microseconds. */
export interface ChargeLine {
  unit: PriceUnit;
  startUs: bigint;
  endUs: bigint;
  consumedQuantity: Decimal;
  pricingQuantity: Decimal;
  unitPrice: Decimal;
  /** Exactly pricingQuantity × unitPrice. */
  cost: Decimal;
  basis: CostBasis;
}

const hourUs = 3_600_000_000n;

/** [start, end] cut at every clock hour (UTC) it crosses; one piece when it crosses none or is empty. */
export function hourSegments(startUs: bigint, endUs: bigint): Array<{ startUs: bigint; endUs: bigint }> {
  const segments: Array<{ startUs: bigint; endUs: bigint }> = [];
  let cursor = startUs;
  while (true) {
    const nextHour = (cursor / hourUs + 1n) * hourUs;
    if (nextHour >= endUs) break;
    segments.push({ startUs: cursor, endUs: nextHour });
    cursor = nextHour;
  }
  segments.push({ startUs: cursor, endUs });
  return segments;
}

/**
 * Spreads `quantity` over the segments in proportion to their length,
 * rounded to {@link consumedQuantityScale}; the last segment takes the
 * remainder, so the pieces always add up to the whole exactly.
 */
function spread(quantity: Decimal, segments: Array<{ startUs: bigint; endUs: bigint }>): Decimal[] {
  const total = segments.at(-1)!.endUs - segments[0].startUs;
  if (segments.length === 1 || total === 0n) return [quantity, ...segments.slice(1).map(() => ({ units: 0n, scale: 0 }))];
  const pieces = segments.slice(0, -1).map((segment) => divide(multiply(quantity, { units: segment.endUs - segment.startUs, scale: 0 }), total, consumedQuantityScale));
  return [...pieces, subtract(quantity, sumDecimals(pieces))];
}

/**
 * Prices one turn: for every metered quantity the price book has a price
 * for, one line per clock hour the turn ran in (time-based units spread in
 * proportion; tokens counted in the hour the turn ended, when the provider
 * reported them). Units without a price and zero quantities make no line.
 */
export function priceTurn(turn: { startUs: bigint; endUs: bigint; quantities: MeteredQuantity[]; prices: Partial<Record<PriceUnit, string>> }): ChargeLine[] {
  const segments = hourSegments(turn.startUs, turn.endUs);
  const lines: ChargeLine[] = [];
  for (const metered of turn.quantities) {
    const price = turn.prices[metered.unit];
    if (price === undefined || isZero(metered.quantity)) continue;
    const unitPrice = parseDecimal(price);
    const definition = priceUnitDefinitions[metered.unit];
    const pieces = definition.allocation === 'at-end' ? [{ segment: segments.at(-1)!, quantity: metered.quantity }] : spread(metered.quantity, segments).map((quantity, index) => ({ segment: segments[index], quantity }));
    for (const { segment, quantity } of pieces) {
      if (isZero(quantity)) continue;
      const pricingQuantity = divide(quantity, definition.divisor, pricingQuantityScale);
      lines.push({ unit: metered.unit, ...segment, consumedQuantity: quantity, pricingQuantity, unitPrice, cost: multiply(pricingQuantity, unitPrice), basis: metered.basis });
    }
  }
  return lines;
}

/** The text form stored in numeric columns. */
export const lineText = (line: ChargeLine) => ({
  unit: line.unit,
  start_us: line.startUs.toString(),
  end_us: line.endUs.toString(),
  consumed: formatDecimal(line.consumedQuantity),
  pricing: formatDecimal(line.pricingQuantity),
  unit_price: formatDecimal(line.unitPrice),
  cost: formatDecimal(line.cost),
  basis: line.basis,
});
