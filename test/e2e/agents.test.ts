import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { grantTargets } from '../support/target-grants.js';
import { createTenantWithKeys, startTestBroker, uniqueName, type TestBroker } from '../support/test-broker.js';

describe('agents API (API.md §3)', () => {
  let sb: TestBroker;
  before(async () => {
    sb = await startTestBroker();
  });
  after(() => sb.close());

  test('the example body of API.md §3 is accepted as written', async () => {
    const { tenantId, keys } = await createTenantWithKeys(sb, ['admin']);
    const targets = {
      agentcore: { agentRuntimeArn: 'arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/refund-abc', qualifier: 'DEFAULT', region: 'us-east-1' },
      foundry: { projectEndpoint: 'https://acct.services.ai.azure.com/api/projects/p1', agentName: 'refund', agentVersion: '3' },
      vertex: { reasoningEngine: 'projects/p/locations/us-central1/reasoningEngines/123' },
      claude: { agentId: 'agent_01AbC', environmentId: 'env_01AbC', agentVersion: 2 },
    };
    await grantTargets(sb, tenantId, targets);
    const response = await sb.as(keys.admin.key).post('/v1/agents', {
      name: 'refund-assistant',
      description: 'Handles refunds',
      instructions: '...AGENTS.md text...',
      defaultProvider: 'agentcore',
      targets,
    });
    assert.equal(response.status, 201, response.text);
    assert.match(response.json.id, /^agt_/);
    assert.ok(response.json.createdAt);
  });

  test('create, list, get, patch, delete; names are unique per tenant', async () => {
    const { keys } = await createTenantWithKeys(sb, ['admin']);
    const admin = sb.as(keys.admin.key);
    const name = uniqueName('agent');
    const target = { claude: sb.broker.runtimes.demoTargets().claude };
    const created = await admin.post('/v1/agents', { name, defaultProvider: 'claude', targets: target });
    assert.equal(created.status, 201);
    assert.equal((await admin.post('/v1/agents', { name, defaultProvider: 'claude', targets: target })).status, 409);
    assert.deepEqual((await admin.get('/v1/agents')).json.data.map((agent: { id: string }) => agent.id), [created.json.id]);
    assert.equal((await admin.get(`/v1/agents/${created.json.id}`)).json.name, name);
    const patched = await admin.patch(`/v1/agents/${created.json.id}`, { description: 'now described' });
    assert.equal(patched.status, 200);
    assert.equal(patched.json.description, 'now described');
    assert.equal(patched.json.name, name, 'unsent fields stay');
    assert.equal((await admin.delete(`/v1/agents/${created.json.id}`)).status, 204);
    assert.equal((await admin.get(`/v1/agents/${created.json.id}`)).status, 404);
    assert.equal((await admin.post('/v1/agents', { name, defaultProvider: 'claude', targets: target })).status, 201, 'the name is free again');
  });

  test('targets are validated by each provider, every problem listed', async () => {
    const { keys } = await createTenantWithKeys(sb, ['admin']);
    const response = await sb.as(keys.admin.key).post('/v1/agents', {
      name: uniqueName('bad'),
      defaultProvider: 'foundry',
      targets: {
        agentcore: { agentRuntimeArn: 'arn:aws:s3:::bucket' },
        vertex: { reasoningEngine: 'engines/1' },
        claude: { agentId: 'nope', environmentId: 'env_1', extra: true },
      },
    });
    assert.equal(response.status, 400);
    const paths = response.json.errors.map((error: { path: string }) => error.path).sort();
    for (const expected of ['body.targets.agentcore.agentRuntimeArn', 'body.targets.vertex.reasoningEngine', 'body.targets.claude.agentId', 'body.targets.claude.extra', 'body.defaultProvider']) {
      assert.ok(paths.includes(expected), `${expected} in ${paths.join(', ')}`);
    }
  });

  test('an agent with live sessions cannot be deleted (409); another tenant’s agent is 404', async () => {
    const one = await createTenantWithKeys(sb, ['admin', 'app']);
    const two = await createTenantWithKeys(sb, ['admin']);
    const name = uniqueName('busy');
    const agent = (await sb.as(one.keys.admin.key).post('/v1/agents', { name, defaultProvider: 'claude', targets: { claude: sb.broker.runtimes.demoTargets().claude } })).json;
    const app = sb.as(one.keys.app.key, { 'x-end-user': 'u' });
    const session = (await app.post('/v1/sessions', { agent: name })).json;
    const refused = await sb.as(one.keys.admin.key).delete(`/v1/agents/${agent.id}`);
    assert.equal(refused.status, 409);
    assert.equal(refused.json.reason, 'agent_in_use');
    for (const call of [() => sb.as(two.keys.admin.key).get(`/v1/agents/${agent.id}`), () => sb.as(two.keys.admin.key).delete(`/v1/agents/${agent.id}`), () => sb.as(two.keys.admin.key).patch(`/v1/agents/${agent.id}`, { description: 'x' })]) {
      assert.equal((await call()).status, 404);
    }
    const denied = await sb.broker.database.database.inTenant(two.tenantId, (tx) =>
      tx.rows<{ detail: { id: string; action: string } }>(`SELECT detail FROM audit_events WHERE type = 'access.denied' ORDER BY seq`),
    );
    assert.deepEqual(denied.map((row) => [row.detail.id, row.detail.action]), [[agent.id, 'get'], [agent.id, 'delete'], [agent.id, 'update']]);
    await app.delete(`/v1/sessions/${session.id}`);
    assert.equal((await sb.as(one.keys.admin.key).delete(`/v1/agents/${agent.id}`)).status, 204);
  });
});
