/**
 * Exact decimal arithmetic for money and metered quantities: a value is a
 * bigint of units of 10^-scale. No JS number ever holds money; decimals
 * arrive and leave as strings (PostgreSQL `numeric` text) and are only
 * rounded where a function says so, half away from zero like PostgreSQL's
 * `round(numeric, n)`.
 */
export interface Decimal {
  units: bigint;
  scale: number;
}

const decimalPattern = /^(-?)(\d+)(?:\.(\d+))?$/;

export function parseDecimal(text: string): Decimal {
  const match = decimalPattern.exec(text.trim());
  if (!match) throw new RangeError(`not a decimal: ${JSON.stringify(text)}`);
  const fraction = match[3] ?? '';
  const units = BigInt(match[2] + fraction);
  return { units: match[1] ? -units : units, scale: fraction.length };
}

/** Whether `text` is a plain decimal (no exponent, no sign other than a leading minus). */
export const isDecimal = (text: string) => decimalPattern.test(text);

/** A decimal from a JS number that is known to carry at most `scale` decimals (metered seconds: 3). */
export function fromMetered(value: number, scale: number): Decimal {
  return { units: BigInt(Math.round(value * 10 ** scale)), scale };
}

const pow10 = (n: number) => 10n ** BigInt(n);

function rescale(value: Decimal, scale: number): Decimal {
  return scale >= value.scale ? { units: value.units * pow10(scale - value.scale), scale } : roundTo(value, scale);
}

export function add(a: Decimal, b: Decimal): Decimal {
  const scale = Math.max(a.scale, b.scale);
  return { units: rescale(a, scale).units + rescale(b, scale).units, scale };
}

export function subtract(a: Decimal, b: Decimal): Decimal {
  return add(a, { units: -b.units, scale: b.scale });
}

/** The exact product: scales add, nothing is rounded. */
export function multiply(a: Decimal, b: Decimal): Decimal {
  return { units: a.units * b.units, scale: a.scale + b.scale };
}

/** `a / divisor`, rounded half away from zero to `scale` decimals. */
export function divide(a: Decimal, divisor: bigint, scale: number): Decimal {
  // a.units / 10^a.scale / divisor, expressed in units of 10^-scale.
  const numerator = a.units * pow10(scale);
  const denominator = divisor * pow10(a.scale);
  return { units: divideRounded(numerator, denominator), scale };
}

/** Rounds half away from zero to `scale` decimals (no-op when already that fine). */
export function roundTo(value: Decimal, scale: number): Decimal {
  if (value.scale <= scale) return value;
  return { units: divideRounded(value.units, pow10(value.scale - scale)), scale };
}

function divideRounded(numerator: bigint, denominator: bigint): bigint {
  const negative = numerator < 0n !== denominator < 0n;
  const n = numerator < 0n ? -numerator : numerator;
  const d = denominator < 0n ? -denominator : denominator;
  const quotient = (n * 2n + d) / (2n * d);
  return negative ? -quotient : quotient;
}

export function compare(a: Decimal, b: Decimal): number {
  const difference = subtract(a, b).units;
  return difference === 0n ? 0 : difference < 0n ? -1 : 1;
}

export const isZero = (value: Decimal) => value.units === 0n;

/** Plain notation, trailing fractional zeros dropped ("0.50" → "0.5", "2.000" → "2"). */
export function formatDecimal(value: Decimal): string {
  const negative = value.units < 0n;
  const digits = (negative ? -value.units : value.units).toString().padStart(value.scale + 1, '0');
  const whole = digits.slice(0, digits.length - value.scale);
  const fraction = digits.slice(digits.length - value.scale).replace(/0+$/, '');
  return `${negative ? '-' : ''}${whole}${fraction ? `.${fraction}` : ''}`;
}

/** A PostgreSQL numeric's text, normalized (trailing zeros dropped). */
export const normalizeDecimal = (text: string) => formatDecimal(parseDecimal(text));

export const sumDecimals = (values: Iterable<Decimal>): Decimal => {
  let total: Decimal = { units: 0n, scale: 0 };
  for (const value of values) total = add(total, value);
  return total;
};
