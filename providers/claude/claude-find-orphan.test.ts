import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { newId } from '#libs/ids';
import { isRuntimeError, type SessionBinding } from '#libs/runtime-spec';
import { ClaudeAdapter } from './claude-adapter.js';
import { startClaudeEmulator, type ClaudeEmulator } from './emulator/index.js';

/** findOrphan: the session a crashed broker left at Claude, found by the metadata openSession wrote. */
let emulator: ClaudeEmulator;
let adapter: ClaudeAdapter;

before(async () => {
  emulator = await startClaudeEmulator();
  adapter = new ClaudeAdapter({ apiKey: 'sk-ant-test', identities: new Map(), baseUrl: emulator.url, mode: 'emulated', callTimeoutMs: 5000 });
});
after(() => emulator.stop());

const binding = (): SessionBinding => ({
  sessionId: newId('ses'),
  tenantId: 'ten_test',
  userId: 'u-1',
  agent: { id: 'agt_1', name: 'a', instructions: null },
  target: emulator.demoTarget,
  metadata: {},
  idleTimeoutSeconds: 900,
  maxLifetimeSeconds: 3600,
});

test('nothing is found for a binding that never reached Claude', async () => {
  assert.equal(await adapter.findOrphan(binding()), undefined);
});

test("an opened session is found by its binding (among the agent's others), and no longer once archived", async () => {
  const bound = binding();
  const others = [await adapter.openSession(binding(), AbortSignal.timeout(5000))];
  const opened = await adapter.openSession(bound, AbortSignal.timeout(5000));
  others.push(await adapter.openSession(binding(), AbortSignal.timeout(5000)));
  assert.equal(await adapter.findOrphan(bound), opened.providerSessionId);
  await adapter.stopSession({ binding: bound, providerSessionId: opened.providerSessionId, state: {} });
  assert.equal(await adapter.findOrphan(bound), undefined);
  for (const other of others) assert.notEqual(other.providerSessionId, opened.providerSessionId);
});

test('a session Claude terminated is ended: not an orphan', async () => {
  const bound = binding();
  const opened = await adapter.openSession(bound, AbortSignal.timeout(5000));
  emulator.terminateSession(opened.providerSessionId);
  assert.equal(await adapter.findOrphan(bound), undefined);
});

test('a failing list is a RuntimeError the broker retries later', async () => {
  emulator.faults.add('sessions.list', { kind: 'status', status: 503, times: 3 });
  const error = await adapter.findOrphan(binding()).then(() => undefined, (caught: unknown) => caught);
  emulator.faults.clear();
  assert.ok(isRuntimeError(error), String(error));
  assert.equal(error.kind, 'unavailable');
});
