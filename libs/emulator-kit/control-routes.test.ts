import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { handleControlRequest } from './control-routes.js';
import { EmulatorClock } from './emulator-clock.js';
import { EmulatorStats } from './emulator-stats.js';
import { FaultPlan } from './fault-plan.js';

const context = { clock: new EmulatorClock(), faults: new FaultPlan(), stats: new EmulatorStats() };
let server: Server;
let base: string;

before(async () => {
  server = createServer((req, res) => {
    void handleControlRequest(req, res, context).then((handled) => {
      if (!handled) res.writeHead(418).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

beforeEach(() => {
  context.faults.clear();
  context.stats.reset();
});

after(() => server.close());

const call = (method: string, path: string, body?: unknown) =>
  fetch(`${base}${path}`, { method, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });

test('a fault posted over HTTP lands in the plan', async () => {
  const response = await call('POST', '/_emulator/faults', { op: 'events.send', fault: { kind: 'status', status: 503, times: 2 } });
  assert.equal(response.status, 201);
  assert.deepEqual(await response.json(), { op: 'events.send', pending: 2 });
  assert.equal(context.faults.take('events.send')?.kind, 'status');
});

test('a malformed fault is a 400 and adds nothing', async () => {
  const response = await call('POST', '/_emulator/faults', { op: 'events.send', fault: { kind: 'delay' } });
  assert.equal(response.status, 400);
  assert.match(((await response.json()) as { error: string }).error, /ms/);
  assert.equal(context.faults.pending('events.send'), 0);
});

test('DELETE faults clears the plan', async () => {
  context.faults.add('x', { kind: 'stall' });
  assert.equal((await call('DELETE', '/_emulator/faults')).status, 204);
  assert.equal(context.faults.pending('x'), 0);
});

test('the clock advances over HTTP', async () => {
  const before = context.clock.now();
  const response = await call('POST', '/_emulator/clock/advance', { ms: 3_600_000 });
  assert.equal(response.status, 200);
  const { now } = (await response.json()) as { now: number };
  assert.ok(now >= before + 3_600_000);
  assert.ok(context.clock.now() >= before + 3_600_000);
  assert.equal((await call('POST', '/_emulator/clock/advance', { ms: -5 })).status, 400);
});

test('stats are readable and reset clears stats and faults', async () => {
  context.stats.count('turns.run', 2);
  context.faults.add('x', { kind: 'stall' });
  assert.deepEqual(await (await call('GET', '/_emulator/stats')).json(), { 'turns.run': 2 });
  assert.equal((await call('POST', '/_emulator/reset')).status, 204);
  assert.deepEqual(context.stats.snapshot(), {});
  assert.equal(context.faults.pending('x'), 0);
});

test('unknown control routes are 404 and other paths are left to the emulator', async () => {
  assert.equal((await call('GET', '/_emulator/nothing')).status, 404);
  assert.equal((await call('GET', '/v1/sessions')).status, 418);
});

test('held work is counted and let go over HTTP; a reset lets it go too', async () => {
  const first = context.faults.held();
  const second = context.faults.held();
  assert.deepEqual(await (await call('GET', '/_emulator/holds')).json(), { holding: 2 });
  const released = await call('POST', '/_emulator/release');
  assert.equal(released.status, 200);
  assert.deepEqual(await released.json(), { released: 2 });
  await Promise.all([first, second]);
  const third = context.faults.held();
  assert.equal((await call('POST', '/_emulator/reset')).status, 204);
  await third;
  assert.deepEqual(await (await call('GET', '/_emulator/holds')).json(), { holding: 0 });
});

test('a holder whose client gives up is dropped, not released later', async () => {
  const controller = new AbortController();
  const held = context.faults.held(controller.signal);
  controller.abort(new Error('client gone'));
  await assert.rejects(held, /client gone/);
  assert.equal(context.faults.holding(), 0);
});
