import { test } from 'node:test';
import assert from 'node:assert/strict';
import { forEachBounded, RollingCursor } from './bounded.js';

test('forEachBounded runs every item, never more than the bound at once', async () => {
  let running = 0;
  let peak = 0;
  const done: number[] = [];
  await forEachBounded([1, 2, 3, 4, 5, 6, 7], 3, async (item) => {
    running++;
    peak = Math.max(peak, running);
    await new Promise((resolve) => setTimeout(resolve, 5 * (item % 3)));
    done.push(item);
    running--;
  });
  assert.deepEqual(done.sort(), [1, 2, 3, 4, 5, 6, 7]);
  assert.equal(peak, 3);
});

test('forEachBounded starts nothing once stopped', async () => {
  const started: number[] = [];
  await forEachBounded([1, 2, 3, 4], 1, async (item) => void started.push(item), () => started.length >= 2);
  assert.deepEqual(started, [1, 2]);
});

test('RollingCursor walks batch by batch, starts over after a short batch, and waits out the pass interval', () => {
  const cursor = new RollingCursor(60_000);
  assert.equal(cursor.position(1_000), '', 'the first pass starts at once');
  cursor.advance([{ id: 'a' }, { id: 'b' }], 2);
  assert.equal(cursor.position(2_000), 'b', 'a full batch: continue after its last id');
  cursor.advance([{ id: 'c' }], 2);
  assert.equal(cursor.position(3_000), undefined, 'the pass ended; the next is not due');
  assert.equal(cursor.position(61_000), '', 'due a pass interval after the previous pass began');
});
