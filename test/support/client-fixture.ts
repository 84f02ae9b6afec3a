import { startClaudeEmulator, type ClaudeEmulator } from '#providers/claude';
import { claudeLiveOnly } from './claude-live.js';
import { grantTargets } from './target-grants.js';
import { createTenantWithKeys, startTestBroker, uniqueName, type TestBroker } from './test-broker.js';

/** A broker whose Claude runtime is an emulator of the test's own, paced so a reply streams over time. */
export interface ClientFixture {
  sb: TestBroker;
  emulator: ClaudeEmulator;
  tenantId: string;
  keys: Record<'app' | 'auditor' | 'finance' | 'admin', { id: string; key: string }>;
  /** The name of an agent on the emulator's demo target. */
  agent: string;
  close(): Promise<void>;
}

export async function startClientFixture(pacingMs = 60): Promise<ClientFixture> {
  const emulator = await startClaudeEmulator({ pacingMs });
  const sb = await startTestBroker(claudeLiveOnly(emulator.url));
  const { tenantId, keys } = await createTenantWithKeys(sb, ['app', 'auditor', 'finance', 'admin']);
  await grantTargets(sb, tenantId, { claude: emulator.demoTarget });
  const agent = uniqueName('agent');
  const created = await sb.as(keys.admin.key).post('/v1/agents', { name: agent, defaultProvider: 'claude', targets: { claude: emulator.demoTarget } });
  if (created.status !== 201) throw new Error(`could not create the agent: ${created.status} ${created.text}`);
  return {
    sb,
    emulator,
    tenantId,
    keys,
    agent,
    async close() {
      await sb.close();
      await emulator.stop();
    },
  };
}
