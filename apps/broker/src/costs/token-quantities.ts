import type { TurnUsage } from '#libs/runtime-spec';
import type { MeteredQuantity } from './charge-lines.js';
import type { Decimal } from './decimal.js';

/** Cache writes by lifetime: `cacheCreationInputTokens` counts all, `cacheCreation1hInputTokens` the one-hour ones among them. */
export function cacheWrites(usage: TurnUsage): { fiveMinutes: number; oneHour: number } {
  const oneHour = usage.cacheCreation1hInputTokens ?? 0;
  return { fiveMinutes: Math.max(0, (usage.cacheCreationInputTokens ?? 0) - oneHour), oneHour };
}

/**
 * The turn's tokens per price unit. Uncached input, cache reads and cache
 * writes are disjoint (the provider counts each token once) and priced
 * apart; a quantity of 0 makes no charge line.
 */
export function tokenQuantities(usage: TurnUsage): MeteredQuantity[] {
  const tokens = (count: number): Decimal => ({ units: BigInt(count), scale: 0 });
  const writes = cacheWrites(usage);
  return [
    { unit: 'input-mtok', quantity: tokens(usage.inputTokens), basis: 'provider-reported' },
    { unit: 'output-mtok', quantity: tokens(usage.outputTokens), basis: 'provider-reported' },
    { unit: 'cache-read-mtok', quantity: tokens(usage.cacheReadInputTokens ?? 0), basis: 'provider-reported' },
    { unit: 'cache-write-5m-mtok', quantity: tokens(writes.fiveMinutes), basis: 'provider-reported' },
    { unit: 'cache-write-1h-mtok', quantity: tokens(writes.oneHour), basis: 'provider-reported' },
  ];
}
