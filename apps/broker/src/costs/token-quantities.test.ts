import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lineText, priceTurn } from './charge-lines.js';
import { priceUnitDefinitions } from './price-units.js';
import { tokenQuantities } from './token-quantities.js';

const at = (iso: string) => BigInt(Date.parse(iso)) * 1000n;
/** Claude Sonnet 4.5's published prices (the seeded book): input 3, output 15, cache reads 0.30, 5-minute writes 3.75, 1-hour writes 6. */
const sonnetPrices = { 'input-mtok': '3', 'output-mtok': '15', 'cache-read-mtok': '0.3', 'cache-write-5m-mtok': '3.75', 'cache-write-1h-mtok': '6' };

test('cache reads and writes are charge lines of their own, writes priced by cache lifetime', () => {
  const quantities = tokenQuantities({
    inputTokens: 4,
    outputTokens: 100,
    cacheReadInputTokens: 20_000,
    cacheCreationInputTokens: 3_000,
    cacheCreation1hInputTokens: 1_000,
  });
  const lines = priceTurn({ startUs: at('2026-01-01T10:00:00Z'), endUs: at('2026-01-01T10:00:02Z'), quantities, prices: sonnetPrices }).map(lineText);
  assert.deepEqual(
    lines.map((line) => [line.unit, line.consumed, line.pricing, line.unit_price, line.cost]),
    [
      ['input-mtok', '4', '0.000004', '3', '0.000012'],
      ['output-mtok', '100', '0.0001', '15', '0.0015'],
      ['cache-read-mtok', '20000', '0.02', '0.3', '0.006'],
      ['cache-write-5m-mtok', '2000', '0.002', '3.75', '0.0075'],
      ['cache-write-1h-mtok', '1000', '0.001', '6', '0.006'],
    ],
  );
});

test('a turn without cache use makes no cache lines', () => {
  const lines = priceTurn({ startUs: 0n, endUs: 1n, quantities: tokenQuantities({ inputTokens: 10, outputTokens: 5 }), prices: sonnetPrices });
  assert.deepEqual(
    lines.map((line) => line.unit),
    ['input-mtok', 'output-mtok'],
  );
});

test('each cache unit has its own FOCUS SkuMeter, counted in tokens and priced per million', () => {
  const units = ['cache-read-mtok', 'cache-write-5m-mtok', 'cache-write-1h-mtok'] as const;
  const meters = new Set(Object.values(priceUnitDefinitions).map((definition) => definition.meter));
  assert.equal(meters.size, Object.keys(priceUnitDefinitions).length, 'no two units share a meter');
  for (const unit of units) {
    assert.equal(priceUnitDefinitions[unit].consumedUnit, 'Tokens');
    assert.equal(priceUnitDefinitions[unit].pricingUnit, '1000000 Tokens');
    assert.equal(priceUnitDefinitions[unit].divisor, 1_000_000n);
  }
});
