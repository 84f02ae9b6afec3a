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
