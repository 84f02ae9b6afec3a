/**
 * What the price book prices, and how each unit turns a metered quantity
 * into a FOCUS pricing quantity. Consumed quantities stay in the unit the
 * meter measures (seconds, vCPU-seconds, tokens); pricing quantities are in
 * the unit the price is quoted in (hours, million tokens).
 *
 * FOCUS unit strings follow its Unit Format ("<plural units>",
 * "<unit>-<time unit>", "<quantity> <plural units>").
 */
export const priceUnits = [
  'session-hour',
  'vcpu-hour',
  'gib-hour',
  'input-mtok',
  'output-mtok',
  'cache-read-mtok',
  'cache-write-5m-mtok',
  'cache-write-1h-mtok',
] as const;
export type PriceUnit = (typeof priceUnits)[number];

export interface PriceUnitDefinition {
  /** Human label for descriptions: what is charged, and per what. */
  label: string;
  per: string;
  /** FOCUS SkuMeter: what the SKU measures, the same for every runtime. */
  meter: string;
  consumedUnit: string;
  pricingUnit: string;
  /** Consumed quantity ÷ this = pricing quantity. */
  divisor: bigint;
  /** Tokens are counted when the turn ends; time is spread over the hours the turn ran. */
  allocation: 'over-time' | 'at-end';
}

export const priceUnitDefinitions: Record<PriceUnit, PriceUnitDefinition> = {
  'session-hour': { label: 'session runtime', per: 'session-hour', meter: 'Session Hours', consumedUnit: 'Seconds', pricingUnit: 'Hours', divisor: 3600n, allocation: 'over-time' },
  'vcpu-hour': { label: 'vCPU', per: 'vCPU-hour', meter: 'vCPU Hours', consumedUnit: 'vCPU-Seconds', pricingUnit: 'vCPU-Hours', divisor: 3600n, allocation: 'over-time' },
  'gib-hour': { label: 'memory', per: 'GiB-hour', meter: 'Memory GiB Hours', consumedUnit: 'GiB-Seconds', pricingUnit: 'GiB-Hours', divisor: 3600n, allocation: 'over-time' },
  'input-mtok': { label: 'input tokens', per: 'million input tokens', meter: 'Input Tokens', consumedUnit: 'Tokens', pricingUnit: '1000000 Tokens', divisor: 1_000_000n, allocation: 'at-end' },
  'output-mtok': { label: 'output tokens', per: 'million output tokens', meter: 'Output Tokens', consumedUnit: 'Tokens', pricingUnit: '1000000 Tokens', divisor: 1_000_000n, allocation: 'at-end' },
  // Prompt caching (Claude): input tokens read from or written to the cache are
  // not in `input-mtok` and have their own prices; writes are priced by the
  // lifetime of the cache entry. https://platform.claude.com/docs/en/about-claude/pricing
  'cache-read-mtok': { label: 'prompt cache reads', per: 'million cache-read input tokens', meter: 'Cache Read Input Tokens', consumedUnit: 'Tokens', pricingUnit: '1000000 Tokens', divisor: 1_000_000n, allocation: 'at-end' },
  'cache-write-5m-mtok': { label: 'prompt cache writes (5-minute)', per: 'million cache-write input tokens', meter: 'Cache Write Input Tokens 5 Minutes', consumedUnit: 'Tokens', pricingUnit: '1000000 Tokens', divisor: 1_000_000n, allocation: 'at-end' },
  'cache-write-1h-mtok': { label: 'prompt cache writes (1-hour)', per: 'million cache-write input tokens', meter: 'Cache Write Input Tokens 1 Hour', consumedUnit: 'Tokens', pricingUnit: '1000000 Tokens', divisor: 1_000_000n, allocation: 'at-end' },
};

/**
 * Decimals kept in a pricing quantity. Hours from metered milliseconds do
 * not terminate (1 ms = 0.000000277… h), so the conversion rounds here:
 * 10^-12 h is 3.6 ns, far below what any meter measures. Every cost is then
 * the EXACT product of this stored quantity and the unit price.
 */
export const pricingQuantityScale = 12;

/** Decimals a metered quantity may carry when it is spread over hours (µs of a second). */
export const consumedQuantityScale = 6;

/** Decimals a unit price may have (the price book refuses finer ones). */
export const unitPriceScale = 10;
