import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EmulatorClock } from './emulator-clock.js';
import { EmulatorStats } from './emulator-stats.js';

test('the clock is real time plus everything advanced', () => {
  let real = 1_000;
  const clock = new EmulatorClock(() => real);
  assert.equal(clock.now(), 1_000);
  clock.advance(60_000);
  real += 5;
  assert.equal(clock.now(), 61_005);
  assert.equal(clock.offset, 60_000);
  assert.equal(clock.nowIso(), new Date(61_005).toISOString());
});

test('the clock refuses to go backwards or by a non-number', () => {
  const clock = new EmulatorClock(() => 0);
  assert.throws(() => clock.advance(-1), RangeError);
  assert.throws(() => clock.advance(Number.NaN), RangeError);
  assert.throws(() => clock.advance(Number.POSITIVE_INFINITY), RangeError);
  assert.equal(clock.now(), 0);
});

test('stats count per operation and reset', () => {
  const stats = new EmulatorStats();
  stats.count('turns.run');
  stats.count('turns.run');
  stats.count('events.send', 3);
  assert.equal(stats.get('turns.run'), 2);
  assert.equal(stats.get('never'), 0);
  assert.deepEqual(stats.snapshot(), { 'events.send': 3, 'turns.run': 2 });
  stats.reset();
  assert.deepEqual(stats.snapshot(), {});
});
