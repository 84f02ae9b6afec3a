import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { environmentSchema } from '#libs/config';
import { runtimeModules } from '../../apps/broker/src/runtimes/runtime-modules.js';
import { grantTargets } from '../support/target-grants.js';
import { createTenantWithKeys, startTestBroker, uniqueName, type TestBroker } from '../support/test-broker.js';
import { parseSse } from '../support/sse.js';

/**
 * `npm run test:live`: the conformance happy path against the REAL clouds,
 * for each runtime whose credentials and target are configured; the others
 * are skipped, saying why. Targets are JSON in LIVE_TARGET_<PROVIDER>, e.g.
 * LIVE_TARGET_AGENTCORE='{"agentRuntimeArn":"arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/x","responseCodec":"strands"}'.
 * Faults cannot be injected into a real cloud, so only the scenarios that
 * need none run here.
 */

/** What the broker itself reads: every other variable of this environment may be a runtime's setting, and is passed on. */
const brokerVariables = new Set(Object.keys(environmentSchema.shape));

for (const module of runtimeModules) {
  const provider = { id: module.id, credentials: module.liveCredentials, modeVariable: `SWITCHBOARD_${module.id.toUpperCase()}_MODE` };
  const targetJson = process.env[`LIVE_TARGET_${provider.id.toUpperCase()}`];
  const hasCredentials = provider.credentials.some((name) => process.env[name]) || process.env[provider.modeVariable] === 'live';
  const skip = !hasCredentials
    ? `no ${provider.id} credentials (${provider.credentials.join(' or ')}, or ${provider.modeVariable}=live)`
    : !targetJson
      ? `no LIVE_TARGET_${provider.id.toUpperCase()} (the agent target JSON to run against)`
      : false;

  describe(`live: ${provider.id}`, { skip }, () => {
    let sb: TestBroker;
    before(async () => {
      const env: Record<string, string> = { SWITCHBOARD_EMULATORS: 'off', [provider.modeVariable]: 'live' };
      for (const [key, value] of Object.entries(process.env)) {
        if (value && !brokerVariables.has(key)) env[key] = value;
      }
      sb = await startTestBroker(env);
    });
    after(() => sb?.close());

    test('create → streamed turn → second turn remembers → transcript → terminate → 410', async () => {
      const tenant = await createTenantWithKeys(sb, ['app', 'admin']);
      const agentName = uniqueName('live');
      const targets = { [provider.id]: JSON.parse(targetJson!) as unknown };
      await grantTargets(sb, tenant.tenantId, targets);
      const agent = await sb.as(tenant.keys.admin.key).post('/v1/agents', { name: agentName, defaultProvider: provider.id, targets });
      assert.equal(agent.status, 201, agent.text);
      const app = sb.as(tenant.keys.app.key, { 'x-end-user': 'live-test' });
      const session = await app.post('/v1/sessions', { agent: agentName });
      assert.equal(session.status, 201, session.text);
      try {
        const first = await app.post(`/v1/sessions/${session.json.id}/turns`, { input: 'Remember the number 4471.' }, { accept: 'text/event-stream' });
        const events = parseSse(first.text).map((event) => event.event);
        assert.equal(events.at(-1), 'turn.completed', first.text.slice(-500));
        const second = await app.post(`/v1/sessions/${session.json.id}/turns`, { input: 'What number did I ask you to remember?' });
        assert.equal(second.status, 200, second.text);
        assert.match(JSON.stringify(second.json.turn.output), /4471/);
        assert.equal((await app.get(`/v1/sessions/${session.json.id}/events`)).status, 200);
      } finally {
        assert.equal((await app.delete(`/v1/sessions/${session.json.id}`)).status, 200);
      }
      assert.equal((await app.post(`/v1/sessions/${session.json.id}/turns`, { input: 'still there?' })).status, 410);
    });
  });
}
