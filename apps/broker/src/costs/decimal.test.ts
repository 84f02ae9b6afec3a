import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { add, divide, formatDecimal, fromMetered, multiply, parseDecimal, roundTo, sumDecimals } from './decimal.js';

const d = parseDecimal;

test('parses and formats plain decimals, dropping trailing zeros', () => {
  assert.equal(formatDecimal(d('0.0895')), '0.0895');
  assert.equal(formatDecimal(d('2.500')), '2.5');
  assert.equal(formatDecimal(d('-0.010')), '-0.01');
  assert.equal(formatDecimal(d('0')), '0');
  assert.throws(() => d('1e-3'));
  assert.throws(() => d('0.1.2'));
});

test('products are exact and sums align scales', () => {
  assert.equal(formatDecimal(multiply(d('0.000191666667'), d('36'))), '0.006900000012');
  assert.equal(formatDecimal(add(d('0.1'), d('0.2'))), '0.3');
  assert.equal(formatDecimal(sumDecimals([d('0.1'), d('0.02'), d('0.003')])), '0.123');
});

test('division and rounding are half away from zero, like PostgreSQL round(numeric)', () => {
  assert.equal(formatDecimal(divide(d('0.69'), 3600n, 12)), '0.000191666667');
  assert.equal(formatDecimal(divide(d('1'), 3n, 3)), '0.333');
  assert.equal(formatDecimal(roundTo(d('0.0005'), 3)), '0.001');
  assert.equal(formatDecimal(roundTo(d('-0.0005'), 3)), '-0.001');
  assert.equal(formatDecimal(roundTo(d('0.00049'), 3)), '0');
});

test('metered floats with three decimals convert exactly', () => {
  assert.equal(formatDecimal(fromMetered(1.053, 3)), '1.053');
  assert.equal(formatDecimal(fromMetered(0.1 + 0.2, 3)), '0.3');
});

test('decimal arithmetic agrees with bigint cents on random amounts', () => {
  fc.assert(
    fc.property(fc.bigInt({ min: 0n, max: 10n ** 12n }), fc.bigInt({ min: 0n, max: 10n ** 12n }), (a, b) => {
      const text = (units: bigint) => formatDecimal({ units, scale: 2 });
      assert.equal(formatDecimal(add(d(text(a)), d(text(b)))), text(a + b));
      assert.equal(formatDecimal(multiply(d(text(a)), d(text(b)))), formatDecimal({ units: a * b, scale: 4 }));
    }),
  );
});
