import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request, type Server } from 'node:http';
import { z } from 'zod';
import { EmulatorClock } from './emulator-clock.js';
import { createEmulatorRouter, describeIssues, readBody, type EmulatorRoute } from './emulator-router.js';
import { EmulatorStats } from './emulator-stats.js';
import { FaultPlan } from './fault-plan.js';
import { closeServer, listenOn, sendJson } from './http-helpers.js';
import { silentLogger } from './emulator-logger.js';

/** A toy provider: `x-key` credentials, `{"oops": …}` errors, handlers returning their JSON body. */
class ToyError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const context = { clock: new EmulatorClock(), faults: new FaultPlan(), stats: new EmulatorStats() };
const seen: string[] = [];
const routes: Array<EmulatorRoute & { method: string }> = [
  {
    method: 'POST',
    path: '/things',
    op: 'things.create',
    handle: async ({ req }) => {
      const thing = await readBody(req, z.object({ name: z.string() }));
      seen.push(`created: ${thing.name}`);
      return thing;
    },
  },
  { method: 'GET', path: '/things/{id}', op: 'things.get', handle: ({ params, requestId }) => ({ id: params.id, requestId }) },
  {
    method: 'GET',
    path: '/things/{id}/stream',
    op: 'things.stream',
    streaming: true,
    handle: ({ res, fault }) => {
      seen.push(`stream fault: ${fault?.kind ?? 'none'}`);
      sendJson(res, 200, { streamed: true });
      return 'written';
    },
  },
];
let server: Server;
let base: string;

before(async () => {
  let ids = 0;
  server = createServer(
    createEmulatorRouter({
      ...context,
      routes,
      logger: silentLogger,
      newRequestId: () => `req-${++ids}`,
      requestIdHeaders: ['x-req', 'x-req-too'],
      serveExtra: (_req, res, url) => url.pathname === '/extra' && (res.writeHead(200).end('extra'), true),
      admit: (req) => {
        if (!req.headers['x-key']) throw new ToyError(401, 'no key');
      },
      notFound: (method, pathname) => new ToyError(404, `no ${method} ${pathname}`),
      accept: (found, url) => {
        if (url.searchParams.has('refuse')) throw new ToyError(400, `refused ${found.route.op}`);
      },
      statusFault: (status, route, requestId) => ({ body: { oops: `injected ${status} on ${route.op}`, requestId }, headers: { 'x-fault': 'yes' } }),
      errorAnswer: (error) =>
        (seen.push(`error: ${(error as Error).message}`), error instanceof ToyError)
          ? { status: error.status, body: { oops: error.message }, headers: { 'x-error': 'toy' } }
          : error instanceof z.ZodError
            ? { status: 400, body: { oops: describeIssues(error) } }
            : { status: 500, body: { oops: 'internal' } },
      answer: (result, { res }) => {
        if (result !== 'written') sendJson(res, 200, result);
      },
    }),
  );
  base = `http://127.0.0.1:${await listenOn(server, 0, '127.0.0.1')}`;
});

beforeEach(() => {
  context.faults.clear();
  context.stats.reset();
  seen.length = 0;
});

after(() => closeServer(server));

const call = (path: string, init: RequestInit = {}) => fetch(`${base}${path}`, { ...init, headers: { 'x-key': 'k', ...init.headers } });

test('routes with captures, answers through the provider hook, and stamps the request id on every response', async () => {
  const response = await call('/things/a%20b');
  assert.equal(response.status, 200);
  const body = (await response.json()) as { id: string; requestId: string };
  assert.equal(body.id, 'a b');
  assert.equal(response.headers.get('x-req'), body.requestId);
  assert.equal(response.headers.get('x-req-too'), body.requestId);
  assert.equal(context.stats.get('things.get'), 1);
});

test('extra endpoints and the control plane come before admission; admission before routing', async () => {
  assert.equal(await (await fetch(`${base}/extra`)).text(), 'extra');
  assert.equal((await fetch(`${base}/_emulator/stats`)).status, 200);
  const refused = await fetch(`${base}/nowhere`);
  assert.equal(refused.status, 401);
  assert.deepEqual(await refused.json(), { oops: 'no key' });
  assert.equal(refused.headers.get('x-error'), 'toy');
  assert.ok(refused.headers.get('x-req'), 'errors carry the request id too');
  const missing = await call('/nowhere');
  assert.equal(missing.status, 404);
  assert.deepEqual(await missing.json(), { oops: 'no GET /nowhere' });
});

test('a route check refuses before the op counts; a bad body is the provider error of a schema failure', async () => {
  assert.equal((await call('/things/1?refuse')).status, 400);
  assert.equal(context.stats.get('things.get'), 0);
  const bad = await call('/things', { method: 'POST', body: '{"name":1}' });
  assert.equal(bad.status, 400);
  assert.match(((await bad.json()) as { oops: string }).oops, /^name: /);
});

test('a status fault is answered in the provider format, the fault body and headers winning; the handler never runs', async () => {
  context.faults.add('things.stream', { kind: 'status', status: 429 });
  const refused = await call('/things/1/stream');
  assert.equal(refused.status, 429);
  assert.deepEqual(await refused.json(), { oops: 'injected 429 on things.stream', requestId: refused.headers.get('x-req') });
  assert.equal(refused.headers.get('x-fault'), 'yes');
  assert.deepEqual(seen, []);
  context.faults.add('things.get', { kind: 'status', status: 503, body: { custom: true }, headers: { 'x-fault': 'mine' } });
  const custom = await call('/things/1');
  assert.deepEqual([custom.status, await custom.json(), custom.headers.get('x-fault')], [503, { custom: true }, 'mine']);
});

test('a streaming route receives its other faults; a plain route has them played for it', async () => {
  context.faults.add('things.stream', { kind: 'truncate', afterEvents: 1 });
  assert.equal((await call('/things/1/stream')).status, 200);
  assert.deepEqual(seen, ['stream fault: truncate']);
  context.faults.add('things.get', { kind: 'truncate', afterEvents: 0 });
  await assert.rejects(call('/things/1'), 'the connection drops without an answer');
});

test('a delayed create still does the work after the delay when the caller disconnected during it (its body is read first)', { timeout: 20_000 }, async () => {
  context.faults.add('things.create', { kind: 'delay', ms: 300 });
  const body = JSON.stringify({ name: 'orphan' });
  const client = request(`${base}/things`, { method: 'POST', headers: { 'x-key': 'k', 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } });
  const gone = new Promise<void>((resolve) => client.once('error', () => resolve()).once('close', () => resolve()));
  client.end(body);
  // The whole request reached the emulator (it counted the op, and the fault took hold), then the caller gives up.
  while (context.stats.get('things.create') === 0) await new Promise((resolve) => setTimeout(resolve, 5));
  client.destroy();
  await gone;
  assert.equal(seen.length, 0, 'nothing is created before the delay is over');
  while (seen.length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
  assert.deepEqual(seen, ['created: orphan']);
});
