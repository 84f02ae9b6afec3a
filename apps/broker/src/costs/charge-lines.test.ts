import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hourSegments, lineText, priceTurn } from './charge-lines.js';
import { parseDecimal } from './decimal.js';

const at = (iso: string) => BigInt(Date.parse(iso)) * 1000n;

test('a turn inside one hour is one segment; one crossing hours is cut at each', () => {
  assert.equal(hourSegments(at('2026-01-01T10:10:00Z'), at('2026-01-01T10:20:00Z')).length, 1);
  const cut = hourSegments(at('2026-01-01T10:50:00Z'), at('2026-01-01T12:10:00Z'));
  assert.deepEqual(cut.map((segment) => [segment.startUs, segment.endUs]), [
    [at('2026-01-01T10:50:00Z'), at('2026-01-01T11:00:00Z')],
    [at('2026-01-01T11:00:00Z'), at('2026-01-01T12:00:00Z')],
    [at('2026-01-01T12:00:00Z'), at('2026-01-01T12:10:00Z')],
  ]);
  assert.equal(hourSegments(at('2026-01-01T10:00:00Z'), at('2026-01-01T10:00:00Z')).length, 1, 'an empty turn is one segment');
});

test('prices each metered unit the book has a price for; cost is quantity × price exactly', () => {
  const lines = priceTurn({
    startUs: at('2026-01-01T10:00:00Z'),
    endUs: at('2026-01-01T10:00:02Z'),
    quantities: [
      { unit: 'session-hour', quantity: parseDecimal('1.5'), basis: 'provider-reported' },
      { unit: 'vcpu-hour', quantity: parseDecimal('3'), basis: 'estimated' },
      { unit: 'input-mtok', quantity: parseDecimal('1234'), basis: 'provider-reported' },
      { unit: 'output-mtok', quantity: parseDecimal('0'), basis: 'provider-reported' },
    ],
    prices: { 'session-hour': '0.08', 'input-mtok': '3', 'output-mtok': '15' },
  }).map(lineText);
  assert.deepEqual(
    lines.map((line) => [line.unit, line.consumed, line.pricing, line.unit_price, line.cost, line.basis]),
    [
      ['session-hour', '1.5', '0.000416666667', '0.08', '0.00003333333336', 'provider-reported'],
      ['input-mtok', '1234', '0.001234', '3', '0.003702', 'provider-reported'],
    ],
    'no vCPU price, no vCPU line; zero output tokens, no line',
  );
});

test('time is spread over the hours in proportion and adds up exactly; tokens land in the last hour', () => {
  const lines = priceTurn({
    startUs: at('2026-01-01T10:59:00Z'),
    endUs: at('2026-01-01T11:02:00Z'),
    quantities: [
      { unit: 'vcpu-hour', quantity: parseDecimal('0.001'), basis: 'estimated' },
      { unit: 'output-mtok', quantity: parseDecimal('7'), basis: 'provider-reported' },
    ],
    prices: { 'vcpu-hour': '1', 'output-mtok': '1' },
  }).map(lineText);
  const vcpu = lines.filter((line) => line.unit === 'vcpu-hour');
  assert.deepEqual(vcpu.map((line) => line.consumed), ['0.000333', '0.000667'], 'one third, then the remainder');
  const output = lines.filter((line) => line.unit === 'output-mtok');
  assert.equal(output.length, 1);
  assert.equal(output[0].start_us, at('2026-01-01T11:00:00Z').toString());
});
