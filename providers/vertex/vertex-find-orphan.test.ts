import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { newId } from '#libs/ids';
import { isRuntimeError, type SessionBinding } from '#libs/runtime-spec';
import { startVertexEmulator, type VertexEmulator } from './emulator/index.js';
import { VertexAdapter } from './vertex-adapter.js';

/** findOrphan: the Vertex session id derives from the broker's session id (`sb-<id>`), so a crashed open's session is found by name. */
let emulator: VertexEmulator;
let adapter: VertexAdapter;

before(async () => {
  emulator = await startVertexEmulator();
  adapter = new VertexAdapter({ endpoint: { kind: 'emulator', host: emulator.host, port: emulator.port }, mode: 'emulated', callTimeoutMs: 3_000, turnTimeoutMs: 10_000, sdkDefaultDeadlineMs: 3_000 });
});
after(async () => {
  await adapter.close();
  await emulator.stop();
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

test('nothing is found for a binding that never reached Vertex', async () => {
  assert.equal(await adapter.findOrphan(binding()), undefined);
});

test('an opened session is found by name, only for its own user, and no longer once deleted', async () => {
  const bound = binding();
  const opened = await adapter.openSession(bound, new AbortController().signal);
  assert.equal(await adapter.findOrphan(bound), opened.providerSessionId);
  assert.equal(await adapter.findOrphan({ ...bound, userId: 'mallory' }), undefined, "another user's session of that name is not ours");
  await adapter.stopSession({ binding: bound, providerSessionId: opened.providerSessionId, state: {} });
  assert.equal(await adapter.findOrphan(bound), undefined);
  assert.equal(emulator.findSession(opened.providerSessionId), undefined);
});

test('a failing lookup is a RuntimeError the broker retries later', async () => {
  emulator.faults.add('sessions.get', { kind: 'status', status: 503, times: 5 });
  const error = await adapter.findOrphan(binding()).then(() => undefined, (caught: unknown) => caught);
  emulator.faults.clear();
  assert.ok(isRuntimeError(error), String(error));
  assert.equal(error.kind, 'unavailable');
});
