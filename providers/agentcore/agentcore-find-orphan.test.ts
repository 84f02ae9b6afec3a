import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { SessionBinding } from '#libs/runtime-spec';
import { AgentCoreAdapter } from './agentcore-adapter.js';
import { startAgentCoreEmulator, type AgentCoreEmulator } from './emulator/index.js';

/** findOrphan: opening an AgentCore session creates nothing there, so a crashed open leaves nothing to find. */
let emulator: AgentCoreEmulator;
let adapter: AgentCoreAdapter;

before(async () => {
  emulator = await startAgentCoreEmulator();
  adapter = new AgentCoreAdapter({ connection: { kind: 'emulator', endpoint: emulator.url }, mode: 'emulated', callTimeoutMs: 5000 });
});
after(async () => {
  adapter.close();
  await emulator.stop();
});

test('an opened (never invoked) session has nothing running at AgentCore: no orphan, no call made', async () => {
  const binding: SessionBinding = {
    sessionId: 'ses_orphantest0000000000000001',
    tenantId: 'ten_test',
    userId: 'u-1',
    agent: { id: 'agt_1', name: 'a', instructions: null },
    target: emulator.demoTarget,
    metadata: {},
    idleTimeoutSeconds: 600,
    maxLifetimeSeconds: 3600,
  };
  const opened = await adapter.openSession(binding, AbortSignal.timeout(5000));
  assert.ok(opened.providerSessionId.includes(binding.sessionId));
  const calls = emulator.stats.snapshot();
  assert.equal(await adapter.findOrphan(), undefined);
  assert.deepEqual(emulator.stats.snapshot(), calls);
});
