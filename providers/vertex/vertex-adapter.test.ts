import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { RuntimeError, type RuntimeEvent, type SessionBinding, type SessionHandle } from '#libs/runtime-spec';
import { newId } from '#libs/ids';
import { startVertexEmulator, type VertexEmulator } from './emulator/index.js';
import { VertexAdapter } from './vertex-adapter.js';

let emulator: VertexEmulator;
let adapter: VertexAdapter;
let metadataServerHits = 0;
const metadataServer = createServer((_req, res) => {
  metadataServerHits++;
  res.writeHead(404).end();
});

before(async () => {
  // Any GCE metadata lookup (what GoogleAuth does without credentials) lands here and is counted.
  await new Promise<void>((resolve) => metadataServer.listen(0, '127.0.0.1', resolve));
  process.env.GCE_METADATA_HOST = `127.0.0.1:${(metadataServer.address() as AddressInfo).port}`;
  emulator = await startVertexEmulator();
  adapter = new VertexAdapter({ endpoint: { kind: 'emulator', host: emulator.host, port: emulator.port }, mode: 'emulated', callTimeoutMs: 3_000, turnTimeoutMs: 10_000, sdkDefaultDeadlineMs: 3_000 });
});
beforeEach(() => emulator.faults.clear());
after(async () => {
  await adapter.close();
  await emulator.stop();
  metadataServer.close();
});

const binding = (overrides: Partial<SessionBinding> = {}): SessionBinding => ({
  sessionId: newId('ses'),
  tenantId: 'ten_test',
  userId: 'alice',
  agent: { id: 'agt_1', name: 'agent', instructions: null },
  target: emulator.demoTarget,
  metadata: {},
  idleTimeoutSeconds: 900,
  maxLifetimeSeconds: 8 * 3600,
  ...overrides,
});
const open = async (bound = binding()): Promise<SessionHandle> => {
  const opened = await adapter.openSession(bound, new AbortController().signal);
  return { binding: bound, providerSessionId: opened.providerSessionId, state: opened.state };
};
const run = async (session: SessionHandle, text: string, signal = new AbortController().signal) => {
  const events: RuntimeEvent[] = [];
  for await (const event of adapter.runTurn({ session, turnId: newId('trn'), input: [{ type: 'text', text }], signal })) events.push(event);
  return events;
};
const failure = async (work: Promise<unknown>): Promise<RuntimeError> => {
  const error = await work.then(() => undefined, (caught: unknown) => caught);
  assert.ok(error instanceof RuntimeError, `expected a RuntimeError, got ${String(error)}`);
  return error;
};

test('open creates the session through its operation, with a TTL past the broker lifetime and the tenant-qualified user', async () => {
  const session = await open();
  const stored = emulator.findSession(session.providerSessionId);
  assert.ok(stored);
  assert.equal(stored.userId, (session.state as { userId: string }).userId);
  assert.equal(stored.expireMs - stored.createMs, 24 * 3600_000, 'at least the 24 h minimum');
  const longer = await open(binding({ maxLifetimeSeconds: 3 * 24 * 3600 }));
  const stretched = emulator.findSession(longer.providerSessionId)!;
  assert.equal(stretched.expireMs - stretched.createMs, (3 * 24 * 3600 + 3600) * 1000);
  assert.ok(emulator.stats.get('operations.get') >= 2, 'the SDK polled the operations');
});

test('open is idempotent per broker session: a retry adopts the session it already created', async () => {
  const bound = binding();
  const first = await open(bound);
  const again = await open(bound);
  assert.equal(again.providerSessionId, first.providerSessionId);
  assert.ok(emulator.findSession(first.providerSessionId));
});

test('an open whose operation fails leaves no session behind', async () => {
  const bound = binding();
  emulator.faults.add('operations.get', { kind: 'status', status: 503 });
  const error = await failure(adapter.openSession(bound, new AbortController().signal));
  assert.equal(error.kind, 'unavailable');
  assert.equal(error.turnAccepted, false, 'creation is idempotent by name, so the broker may retry');
  const name = `${emulator.demoTarget.reasoningEngine}/sessions/sb-${bound.sessionId.replace('_', '-')}`;
  assert.equal(emulator.findSession(name), undefined);
});

test('a refused turn reaches the service once and says nothing ran', async () => {
  const session = await open();
  for (const [status, kind] of [[429, 'throttled'], [400, 'invalid_target']] as const) {
    const sent = emulator.stats.get('engine.streamQuery');
    const ran = emulator.stats.get('turns.run');
    emulator.faults.add('engine.streamQuery', { kind: 'status', status, times: 3 });
    const error = await failure(run(session, 'hello'));
    assert.equal(error.kind, kind);
    assert.equal(error.turnAccepted, false);
    assert.equal(emulator.stats.get('engine.streamQuery') - sent, 1, `no silent re-send after ${status}`);
    assert.equal(emulator.stats.get('turns.run'), ran);
    emulator.faults.clear();
  }
});

test('every way a stream can break short of the final event is a truncated turn', async () => {
  const session = await open();
  emulator.faults.add('engine.streamQuery', { kind: 'truncate', afterEvents: 2 });
  const cut = await failure(run(session, 'status mid-stream'));
  assert.equal(cut.kind, 'stream_truncated');
  assert.equal(cut.turnAccepted, true);

  emulator.faults.add('engine.streamQuery.reset', { kind: 'truncate', afterEvents: 1 });
  assert.equal((await failure(run(session, 'reset mid-stream'))).kind, 'stream_truncated');

  emulator.faults.add('engine.streamQuery.cleanEnd', { kind: 'truncate', afterEvents: 2 });
  const quiet = await run(session, 'clean end too early');
  assert.ok(quiet.length > 0 && !quiet.some((event) => event.type === 'turn.end'), 'no turn.end: the broker records provider_stream_truncated');

  const next = await run(session, 'still here?');
  assert.equal(next.at(-1)?.type, 'turn.end');
});

test('a turn on a session the provider lost is not_found', async () => {
  const session = await open();
  emulator.expireSession(session.providerSessionId);
  const error = await failure(run(session, 'anyone?'));
  assert.equal(error.kind, 'not_found');
  assert.equal(await adapter.getSessionStatus(session), 'gone');
});

test('sessions expire with the emulator clock, and stop is idempotent', async () => {
  const session = await open();
  assert.equal(await adapter.getSessionStatus(session), 'live');
  emulator.clock.advance(24 * 3600_000);
  assert.equal(await adapter.getSessionStatus(session), 'gone');
  await adapter.stopSession(session);
  const other = await open();
  await adapter.stopSession(other);
  await adapter.stopSession(other);
  assert.equal(emulator.findSession(other.providerSessionId), undefined);
});

test('an abandoned turn cancels its call, and the agent never runs it', async () => {
  const session = await open();
  const ran = emulator.stats.get('turns.run');
  const sent = emulator.stats.get('engine.streamQuery');
  const cancelled = emulator.stats.get('engine.streamQuery.cancelled');
  emulator.faults.add('engine.streamQuery', { kind: 'delay', ms: 60_000 });
  const controller = new AbortController();
  const turn = failure(run(session, 'slow', controller.signal));
  while (emulator.stats.get('engine.streamQuery') === sent) await new Promise((resolve) => setTimeout(resolve, 10));
  controller.abort(new Error('turn timeout'));
  assert.equal((await turn).kind, 'timeout', 'ends on the abort, not after the 60 s delay');
  // The emulator decides not to run the turn in the same tick it sees the cancellation.
  while (emulator.stats.get('engine.streamQuery.cancelled') === cancelled) await new Promise((resolve) => setTimeout(resolve, 10));
  assert.equal(emulator.stats.get('turns.run'), ran);
});

test('a turn abandoned before its call went out ends too', async () => {
  const session = await open();
  const controller = new AbortController();
  controller.abort(new Error('broker shutting down'));
  assert.equal((await failure(run(session, 'never sent', controller.signal))).kind, 'timeout');
});

test('nothing asks the GCE metadata server for credentials or a universe domain', () => {
  assert.equal(metadataServerHits, 0);
});

test('partial text comes only when asked: the adapter asks ADK for SSE streaming, and a target that cannot ask gets complete events', async () => {
  const streamed = await run(await open(), 'stream it');
  assert.ok(streamed.filter((event) => event.type === 'message.delta').length > 1, `events: ${streamed.map((event) => event.type).join(', ')}`);
  assert.equal(streamed.at(-1)?.type, 'turn.end');

  const completeOnly = await run(await open(binding({ target: { ...emulator.demoTarget, streaming: 'none' } })), 'no partials');
  assert.deepEqual(
    completeOnly.map((event) => event.type),
    ['message.completed', 'turn.end'],
  );
  const completed = completeOnly[0] as Extract<RuntimeEvent, { type: 'message.completed' }>;
  assert.match(completed.content[0].text, /You said: "no partials"/);
});
