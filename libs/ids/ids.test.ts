import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isId, newId } from './ids.js';

test('ids carry their prefix and sort by creation', () => {
  const ids = Array.from({ length: 2000 }, () => newId('ses'));
  assert.ok(ids.every((id) => isId('ses', id)));
  assert.deepEqual([...ids].sort(), ids);
  assert.equal(new Set(ids).size, ids.length);
});

test('an id minted at a later millisecond sorts after', () => {
  const early = newId('agt', 1_700_000_000_000);
  const late = newId('agt', 1_700_000_000_001);
  assert.ok(early < late);
});

test('isId rejects other prefixes and shapes', () => {
  assert.equal(isId('ten', newId('ses')), false);
  assert.equal(isId('ses', 'ses_../../etc'), false);
});

test('ids minted at different milliseconds draw fresh random parts, across refills of the random pool', () => {
  // 1,000 ids × 10 random bytes is more than two refills of the 4 KiB pool.
  const randomParts = Array.from({ length: 1000 }, (_, index) => newId('trn', 4_000_000_000_000 + index * 1000).slice(4 + 10));
  assert.equal(new Set(randomParts).size, randomParts.length, 'no random part repeats');
});
