import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { newId } from '#libs/ids';
import { isRuntimeError, type SessionBinding } from '#libs/runtime-spec';
import { FoundryAdapter } from './foundry-adapter.js';
import { startFoundryEmulator, type FoundryEmulator } from './emulator/index.js';

/** findOrphan: the hosted session is named by the broker's session id, so a crashed open's session is found by name. */
let emulator: FoundryEmulator;
let adapter: FoundryAdapter;
const credential = { getToken: async () => ({ token: 'unit', expiresOnTimestamp: Date.now() + 3600_000 }) };

before(async () => {
  emulator = await startFoundryEmulator();
  adapter = new FoundryAdapter({ mode: 'emulated', credential, emulator: { url: emulator.url, caCertificate: emulator.caCertificate }, callTimeoutMs: 5000 });
});
after(async () => {
  adapter.close();
  await emulator.stop();
});

const binding = (target: unknown = emulator.demoTarget): SessionBinding => ({
  sessionId: newId('ses'),
  tenantId: 'ten_test',
  userId: 'u-1',
  agent: { id: 'agt_1', name: 'a', instructions: null },
  target,
  metadata: {},
  idleTimeoutSeconds: 900,
  maxLifetimeSeconds: 3600,
});

test('nothing is found for a binding that never reached Foundry', async () => {
  assert.equal(await adapter.findOrphan(binding()), undefined);
});

test('an opened session is found by name; stopped with an empty state (as the reaper does), deleted, it is gone', async () => {
  const bound = binding({ ...emulator.demoTarget, deleteOnTerminate: true });
  const opened = await adapter.openSession(bound, AbortSignal.timeout(5000));
  assert.equal(await adapter.findOrphan(bound), opened.providerSessionId);
  await adapter.stopSession({ binding: bound, providerSessionId: opened.providerSessionId, state: {} });
  assert.equal(await adapter.findOrphan(bound), undefined);
  assert.deepEqual(emulator.sessions(emulator.demoTarget.agentName).filter((session) => session.id === bound.sessionId && session.status !== 'deleted'), []);
});

test('a failing lookup is a RuntimeError the broker retries later', async () => {
  emulator.faults.add('sessions.get', { kind: 'status', status: 400 });
  const error = await adapter.findOrphan(binding()).then(() => undefined, (caught: unknown) => caught);
  emulator.faults.clear();
  assert.ok(isRuntimeError(error), String(error));
});
