import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ZodError } from 'zod';
import { FaultPlan, faultSchema } from './fault-plan.js';

test('faults come out in order, each as many times as asked', () => {
  const plan = new FaultPlan();
  plan.add('events.send', { kind: 'status', status: 429, times: 2 });
  plan.add('events.send', { kind: 'delay', ms: 50 });
  assert.equal(plan.pending('events.send'), 3);
  assert.equal(plan.take('events.send')?.kind, 'status');
  assert.equal(plan.take('events.send')?.kind, 'status');
  assert.deepEqual(plan.take('events.send'), { kind: 'delay', ms: 50, times: 1 });
  assert.equal(plan.take('events.send'), undefined);
  assert.equal(plan.pending('events.send'), 0);
});

test('faults are kept per operation and cleared together', () => {
  const plan = new FaultPlan();
  plan.add('a', { kind: 'stall' });
  plan.add('b', { kind: 'truncate', afterEvents: 2 });
  assert.equal(plan.take('c'), undefined);
  assert.equal(plan.take('b')?.kind, 'truncate');
  plan.clear();
  assert.equal(plan.take('a'), undefined);
});

test('malformed faults are rejected', () => {
  const plan = new FaultPlan();
  assert.throws(() => plan.add('x', { kind: 'status', status: 200 }), ZodError);
  assert.throws(() => plan.add('x', { kind: 'delay', ms: -1 }), ZodError);
  assert.throws(() => plan.add('x', { kind: 'stall', times: 0 }), ZodError);
  assert.equal(faultSchema.safeParse({ kind: 'explode' }).success, false);
  assert.equal(plan.pending('x'), 0);
});
