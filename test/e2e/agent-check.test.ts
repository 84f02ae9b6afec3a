import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { grantTargets } from '../support/target-grants.js';
import { createTenantWithKeys, startTestBroker, uniqueName, type TestBroker } from '../support/test-broker.js';

type Targets = Record<string, Record<string, unknown>>;
type Faults = { faults: { add(op: string, fault: object): void; clear(): void } };

/** Short enough that a stalled check ends the test soon, long enough for a cold first call on a loaded CI machine. */
const callTimeoutMs = 8_000;

/** Each emulated runtime's sample target, changed so that it names something its emulator does not know. */
const unknownTargets = (samples: Targets): Targets => ({
  agentcore: { ...samples.agentcore, agentRuntimeArn: String(samples.agentcore.agentRuntimeArn).replace(/runtime\/[^/]+$/, 'runtime/Unknown0001-AbCdEfGhIj') },
  claude: { ...samples.claude, agentId: 'agent_01UnknownAgent' },
  foundry: { ...samples.foundry, agentVersion: '999' },
  vertex: { ...samples.vertex, reasoningEngine: String(samples.vertex.reasoningEngine).replace(/reasoningEngines\/\d+$/, 'reasoningEngines/1111111111') },
});

describe('POST /v1/agents/{id}/check and GET /v1/providers sampleTarget (API.md §3)', () => {
  let sb: TestBroker;
  let samples: Targets;
  before(async () => {
    sb = await startTestBroker({ PROVIDER_CALL_TIMEOUT_MS: String(callTimeoutMs) });
    samples = sb.broker.runtimes.demoTargets() as Targets;
  });
  after(() => sb.close());

  async function createAgent(admin: ReturnType<TestBroker['as']>, tenantId: string, targets: Targets): Promise<string> {
    await grantTargets(sb, tenantId, targets);
    const created = await admin.post('/v1/agents', { name: uniqueName('checked'), defaultProvider: Object.keys(targets)[0], targets });
    assert.equal(created.status, 201, created.text);
    return created.json.id as string;
  }

  test('GET /v1/providers gives each emulated runtime a sampleTarget that an agent accepts', async () => {
    const { tenantId, keys } = await createTenantWithKeys(sb, ['admin', 'app']);
    const listed = await sb.as(keys.app.key).get('/v1/providers');
    assert.equal(listed.status, 200, listed.text);
    const byId = Object.fromEntries(listed.json.data.map((provider: { id: string }) => [provider.id, provider]));
    for (const id of ['agentcore', 'claude', 'foundry', 'vertex']) {
      assert.equal(byId[id].mode, 'emulated');
      assert.deepEqual(byId[id].sampleTarget, samples[id], id);
    }
    const fromListing = Object.fromEntries(listed.json.data.map((provider: { id: string; sampleTarget: unknown }) => [provider.id, provider.sampleTarget]));
    await createAgent(sb.as(keys.admin.key), tenantId, fromListing);
  });

  test('the sample targets check ok on every runtime', async () => {
    const { tenantId, keys } = await createTenantWithKeys(sb, ['admin']);
    const admin = sb.as(keys.admin.key);
    const id = await createAgent(admin, tenantId, samples);
    const checked = await admin.post(`/v1/agents/${id}/check`, {});
    assert.equal(checked.status, 200, checked.text);
    assert.deepEqual(checked.json, { targets: { agentcore: { ok: true }, claude: { ok: true }, foundry: { ok: true }, vertex: { ok: true } } });
  });

  test('a target the runtime does not know is target_not_found, named in the detail; the others stay ok', async () => {
    const { tenantId, keys } = await createTenantWithKeys(sb, ['admin']);
    const admin = sb.as(keys.admin.key);
    const unknown = unknownTargets(samples);
    const namedIn: Record<string, string> = { agentcore: 'Unknown0001-AbCdEfGhIj', claude: 'agent_01UnknownAgent', foundry: 'version 999', vertex: 'reasoningEngines/1111111111' };
    for (const [provider, target] of Object.entries(unknown)) {
      const id = await createAgent(admin, tenantId, { ...samples, [provider]: target });
      const checked = await admin.post(`/v1/agents/${id}/check`, {});
      assert.equal(checked.status, 200, checked.text);
      for (const [other, answer] of Object.entries(checked.json.targets as Record<string, { ok: boolean; code?: string; detail?: string }>)) {
        if (other !== provider) {
          assert.deepEqual(answer, { ok: true }, `${other} while ${provider} is unknown`);
          continue;
        }
        assert.equal(answer.ok, false, provider);
        assert.equal(answer.code, 'target_not_found', `${provider}: ${answer.detail}`);
        assert.ok(answer.detail?.includes(namedIn[provider]), `${provider} detail names the target: ${answer.detail}`);
      }
    }
  });

  test('a refusal is permission_denied, a failing or silent provider provider_unavailable, each within the call timeout', async () => {
    const { tenantId, keys } = await createTenantWithKeys(sb, ['admin']);
    const admin = sb.as(keys.admin.key);
    const id = await createAgent(admin, tenantId, samples);
    const emulator = (provider: string) => sb.broker.runtimes.emulator<Faults>(provider as 'claude')!;
    emulator('agentcore').faults.add('getAgentRuntime', { kind: 'status', status: 403 });
    // The SDK retries a 503 on a read twice: three make it give up.
    emulator('claude').faults.add('agents.retrieve', { kind: 'status', status: 503, times: 3 });
    emulator('vertex').faults.add('engines.get', { kind: 'stall' });
    const startedAt = Date.now();
    try {
      const checked = await admin.post(`/v1/agents/${id}/check`, {});
      assert.equal(checked.status, 200, checked.text);
      const targets = checked.json.targets;
      assert.equal(targets.agentcore.code, 'permission_denied', targets.agentcore.detail);
      assert.equal(targets.claude.code, 'provider_unavailable', targets.claude.detail);
      assert.equal(targets.vertex.code, 'provider_unavailable', targets.vertex.detail);
      assert.deepEqual(targets.foundry, { ok: true }, 'the other runtimes still answer');
      // In parallel, each bounded: one stalled runtime costs one timeout, not the sum.
      assert.ok(Date.now() - startedAt < 2 * callTimeoutMs, `took ${Date.now() - startedAt} ms`);
    } finally {
      for (const provider of ['agentcore', 'claude', 'vertex']) emulator(provider).faults.clear();
    }
  });

  test('admin only; another tenant’s agent is 404', async () => {
    const one = await createTenantWithKeys(sb, ['admin', 'app']);
    const two = await createTenantWithKeys(sb, ['admin']);
    const id = await createAgent(sb.as(one.keys.admin.key), one.tenantId, { claude: samples.claude });
    assert.equal((await sb.as(one.keys.app.key).post(`/v1/agents/${id}/check`, {})).status, 403);
    assert.equal((await sb.as(two.keys.admin.key).post(`/v1/agents/${id}/check`, {})).status, 404);
  });

  test('a session on a target that does not exist: 502 provider_error naming the runtime and the agent, at create or (AgentCore) at the first turn', async () => {
    const { tenantId, keys } = await createTenantWithKeys(sb, ['admin', 'app']);
    const unknown = unknownTargets(samples);
    for (const provider of Object.keys(unknown)) {
      const name = uniqueName('missing');
      await grantTargets(sb, tenantId, { [provider]: unknown[provider] });
      const created = await sb.as(keys.admin.key).post('/v1/agents', { name, defaultProvider: provider, targets: { [provider]: unknown[provider] } });
      assert.equal(created.status, 201, created.text);
      const app = sb.as(keys.app.key, { 'x-end-user': 'u' });
      let answer = await app.post('/v1/sessions', { agent: name });
      // AgentCore has no session resource: nothing is called until the first turn.
      if (provider === 'agentcore') {
        assert.equal(answer.status, 201, answer.text);
        answer = await app.post(`/v1/sessions/${answer.json.id}/turns`, { input: [{ type: 'text', text: 'hi' }] });
      }
      assert.equal(answer.status, 502, `${provider}: ${answer.text}`);
      assert.equal(answer.json.code, 'provider_error', provider);
      assert.equal(answer.json.provider, provider, answer.text);
      assert.equal(answer.json.agent, created.json.id, answer.text);
      assert.match(answer.json.detail, new RegExp(`the ${provider} runtime does not know or refuses the ${provider} target of agent ${created.json.id}`));
    }
  });
});
