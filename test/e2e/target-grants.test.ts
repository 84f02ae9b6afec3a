import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createHttpServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Anthropic from '@anthropic-ai/sdk';
import { newId } from '#libs/ids';
import type { ClaudeEmulator } from '#providers/claude';
import type { FoundryEmulator } from '#providers/foundry';
import { grantTargets } from '../support/target-grants.js';
import { createTenantWithKeys, startTestBroker, uniqueName, type TestBroker } from '../support/test-broker.js';

/** Security review items 1 (Foundry endpoints) and 2 (targets tied to tenants). */
describe('targets: endpoint discipline and per-tenant grants', () => {
  let sb: TestBroker;
  /** Local listeners a foreign endpoint could point at: they must never see a request. */
  const listeners: Server[] = [];
  const received: string[] = [];
  let httpsPort = 0;
  let httpPort = 0;

  before(async () => {
    sb = await startTestBroker();
    const record = (request: { method?: string; url?: string; headers: { authorization?: string } }) => received.push(`${request.method} ${request.url} ${request.headers.authorization ?? ''}`);
    const https = createHttpsServer((request, response) => (record(request), response.end()));
    const http = createHttpServer((request, response) => (record(request), response.end()));
    https.on('secureConnection', () => received.push('tls connection'));
    http.on('connection', () => received.push('tcp connection'));
    for (const server of [https, http]) {
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      listeners.push(server);
    }
    https.on('connection', () => received.push('tcp connection'));
    httpsPort = (https.address() as AddressInfo).port;
    httpPort = (http.address() as AddressInfo).port;
  });
  after(async () => {
    for (const server of listeners) await new Promise((resolve) => server.close(resolve));
    await sb.close();
  });

  const foundryEmulator = () => sb.broker.runtimes.emulator<FoundryEmulator>('foundry')!;
  const foundryCalls = () => ['versions.get', 'sessions.create', 'conversations.create'].reduce((sum, op) => sum + foundryEmulator().stats.get(op), 0);

  test('a Foundry endpoint that is not https://<resource>.services.ai.azure.com/api/projects/<project> is a 400 at create and update', async () => {
    const { keys } = await createTenantWithKeys(sb, ['admin']);
    const admin = sb.as(keys.admin.key);
    const good = foundryEmulator().demoTarget;
    const agent = await admin.post('/v1/agents', { name: uniqueName('foundry'), defaultProvider: 'foundry', targets: { foundry: good } });
    assert.equal(agent.status, 201, agent.text);
    const foreign = [
      'https://evil.example/api/projects/x',
      'https://169.254.169.254/api/projects/x',
      'https://169.254.169.254/metadata/identity/oauth2/token',
      'https://localhost:5432/api/projects/x',
      `https://127.0.0.1:${httpsPort}/api/projects/x`,
      `https://localhost:${httpsPort}/api/projects/x`,
      `http://127.0.0.1:${httpPort}/api/projects/x`,
      'https://[::1]/api/projects/x',
      'https://user:pw@x.services.ai.azure.com/api/projects/p',
      'https://x.services.ai.azure.com:443/api/projects/p',
      'https://x.services.ai.azure.com:8443/api/projects/p',
      'https://x.services.ai.azure.com.evil.example/api/projects/p',
      'https://2130706433/api/projects/p',
    ];
    for (const projectEndpoint of foreign) {
      const target = { ...good, projectEndpoint };
      for (const response of [
        await admin.post('/v1/agents', { name: uniqueName('evil'), defaultProvider: 'foundry', targets: { foundry: target } }),
        await admin.patch(`/v1/agents/${agent.json.id}`, { targets: { foundry: target } }),
      ]) {
        assert.equal(response.status, 400, `${projectEndpoint}: ${response.text}`);
        assert.equal(response.json.code, 'invalid_request');
        assert.deepEqual(
          response.json.errors.map((error: { path: string }) => error.path),
          ['body.targets.foundry.projectEndpoint'],
        );
        assert.match(response.json.errors[0].message, /services\.ai\.azure\.com\/api\/projects/);
      }
    }
    assert.deepEqual(received, [], 'no listener was contacted');
  });

  test('an agent stored with a foreign endpoint before the rule never sends the token: its sessions are refused before any provider call', async () => {
    const { tenantId, keys } = await createTenantWithKeys(sb, ['app', 'admin', 'auditor']);
    const before = foundryCalls();
    const agentId = newId('agt');
    const name = uniqueName('legacy');
    const target = { ...foundryEmulator().demoTarget, projectEndpoint: `https://127.0.0.1:${httpsPort}/api/projects/demo` };
    // As a broker before this version stored it (its schema accepted any https host).
    await sb.broker.database.database.inTenant(tenantId, (tx) =>
      tx.rows(`INSERT INTO agents (id, tenant_id, name, default_provider, targets) VALUES ($1, $2, $3, 'foundry', $4)`, [agentId, tenantId, name, { foundry: target }]),
    );
    const session = await sb.as(keys.app.key, { 'x-end-user': 'u-1' }).post('/v1/sessions', { agent: name });
    assert.equal(session.status, 403, session.text);
    assert.equal(session.json.code, 'target_not_allowed');
    assert.equal(foundryCalls(), before, 'the emulated Foundry got no call');
    assert.deepEqual(received, [], 'the foreign listener got nothing');
    const denied = await sb.as(keys.auditor.key).get('/v1/audit/events?type=target.denied');
    assert.equal(denied.json.data.length, 1);
    assert.equal(denied.json.data[0].detail.action, 'create_session');
  });

  test('a provider failure reaches the client as a stable message, never the upstream text', async () => {
    const { keys } = await createTenantWithKeys(sb, ['app', 'admin']);
    const name = uniqueName('foundry');
    assert.equal((await sb.as(keys.admin.key).post('/v1/agents', { name, defaultProvider: 'foundry', targets: { foundry: foundryEmulator().demoTarget } })).status, 201);
    const upstream = { error: { code: 'dial tcp 10.20.30.40:8443: connection refused', message: 'upstream connect error at 10.20.30.40:8443 (db.internal)', type: 'x' } };
    foundryEmulator().faults.add('sessions.create', { kind: 'status', status: 400, body: upstream });
    const session = await sb.as(keys.app.key, { 'x-end-user': 'u-1' }).post('/v1/sessions', { agent: name });
    assert.equal(session.status, 502, session.text);
    assert.equal(session.json.code, 'provider_error');
    assert.match(session.json.detail, /^the foundry runtime does not know or refuses the foundry target of agent agt_\S+ \(check it: POST \/v1\/agents\/agt_\S+\/check\)$/);
    assert.doesNotMatch(session.text, /10\.20\.30\.40|db\.internal|connection refused|Foundry answered/);
  });

  test('tenant B cannot target tenant A\'s Claude agent or AgentCore account until the operator grants it; a revoke stops new sessions', async () => {
    const a = await createTenantWithKeys(sb, ['app', 'admin']);
    const b = await createTenantWithKeys(sb, ['app', 'admin', 'auditor']);
    // Tenant A's own Claude agent and environment, made with the real SDK on the emulated workspace.
    const claude = new Anthropic({ apiKey: 'sk-ant-test', baseURL: sb.broker.runtimes.emulator<ClaudeEmulator>('claude')!.url, maxRetries: 0 });
    const environment = await claude.beta.environments.create({ name: uniqueName('env') });
    const claudeAgent = await claude.beta.agents.create({ name: uniqueName('agent'), model: 'claude-sonnet-4-6' });
    const claudeTarget = { agentId: claudeAgent.id, environmentId: environment.id };
    const agentCoreTarget = { agentRuntimeArn: 'arn:aws:bedrock-agentcore:us-east-1:210987654321:runtime/refund_agent-AbC123xYz0' };

    // Nothing is granted by default: not even tenant A may use its own agent yet.
    const ungranted = await sb.as(a.keys.admin.key).post('/v1/agents', { name: 'a-claude', defaultProvider: 'claude', targets: { claude: claudeTarget } });
    assert.equal(ungranted.status, 403, ungranted.text);
    assert.equal(ungranted.json.code, 'target_not_allowed');
    await grantTargets(sb, a.tenantId, { claude: claudeTarget, agentcore: agentCoreTarget });
    assert.equal((await sb.as(a.keys.admin.key).post('/v1/agents', { name: 'a-claude', defaultProvider: 'claude', targets: { claude: claudeTarget, agentcore: agentCoreTarget } })).status, 201);

    const bAdmin = sb.as(b.keys.admin.key);
    const bApp = sb.as(b.keys.app.key, { 'x-end-user': 'u-b' });
    for (const targets of [{ claude: claudeTarget }, { agentcore: agentCoreTarget }]) {
      const provider = Object.keys(targets)[0];
      const refused = await bAdmin.post('/v1/agents', { name: uniqueName('b'), defaultProvider: provider, targets });
      assert.equal(refused.status, 403, refused.text);
      assert.equal(refused.json.code, 'target_not_allowed');
      assert.ok(refused.json.errors.every((error: { path: string }) => error.path === `body.targets.${provider}`), refused.text);
    }
    // Nor through an update of an agent B may have (the emulator's demo target is everyone's).
    const own = await bAdmin.post('/v1/agents', { name: 'b-agent', defaultProvider: 'claude', targets: { claude: sb.broker.runtimes.demoTargets().claude } });
    assert.equal(own.status, 201, own.text);
    const patched = await bAdmin.patch(`/v1/agents/${own.json.id}`, { targets: { claude: claudeTarget } });
    assert.equal(patched.status, 403, patched.text);

    // The operator grants A's agent and environment to B: now B may store and use them.
    const grants = await grantTargets(sb, b.tenantId, { claude: claudeTarget });
    assert.equal(grants.length, 2);
    const expected = [`agent:${claudeAgent.id}`, `environment:${environment.id}`];
    const listed = await sb.operator.get(`/v1/tenants/${b.tenantId}/target-grants`);
    assert.deepEqual(listed.json.data.map((grant: { kind: string; value: string }) => `${grant.kind}:${grant.value}`).sort(), expected);
    // B's admin reads its own grants, and sees none of A's.
    const ownGrants = await bAdmin.get('/v1/target-grants');
    assert.equal(ownGrants.status, 200, ownGrants.text);
    assert.deepEqual(ownGrants.json.data.map((grant: { kind: string; value: string }) => `${grant.kind}:${grant.value}`).sort(), expected);
    const allowed = await bAdmin.post('/v1/agents', { name: 'b-claude', defaultProvider: 'claude', targets: { claude: claudeTarget } });
    assert.equal(allowed.status, 201, allowed.text);
    const session = await bApp.post('/v1/sessions', { agent: 'b-claude' });
    assert.equal(session.status, 201, session.text);

    // Revoked: the stored agent can no longer start sessions.
    const revoked = await sb.operator.delete(`/v1/tenants/${b.tenantId}/target-grants/${grants[0]}`);
    assert.equal(revoked.status, 204, revoked.text);
    const afterRevoke = await bApp.post('/v1/sessions', { agent: 'b-claude' });
    assert.equal(afterRevoke.status, 403, afterRevoke.text);
    assert.equal(afterRevoke.json.code, 'target_not_allowed');
    assert.equal((await sb.operator.delete(`/v1/tenants/${b.tenantId}/target-grants/${grants[0]}`)).status, 404);

    // Every change and refusal is in B's audit chain, and the chain verifies.
    const auditor = sb.as(b.keys.auditor.key);
    const types = async (type: string) => (await auditor.get(`/v1/audit/events?type=${type}`)).json.data as Array<{ actor: { kind: string }; detail: Record<string, unknown> }>;
    assert.equal((await types('target.granted')).length, 2);
    assert.equal((await types('target.granted'))[0].actor.kind, 'operator');
    assert.equal((await types('target.revoked')).length, 1);
    assert.deepEqual((await types('target.denied')).map((event) => event.detail.action).sort(), ['create_agent', 'create_agent', 'create_session', 'update_agent']);
    assert.equal((await auditor.get('/v1/audit/verify')).json.ok, true);
  });

  test('grants are the operator\'s: validated per provider, 404 for an unknown tenant, refused to tenant keys', async () => {
    const { tenantId, keys } = await createTenantWithKeys(sb, ['admin']);
    const bad = await sb.operator.post(`/v1/tenants/${tenantId}/target-grants`, { provider: 'agentcore', kind: 'account', value: '12345' });
    assert.equal(bad.status, 400);
    assert.deepEqual(bad.json.errors.map((error: { path: string }) => error.path), ['body.value']);
    const wrongKind = await sb.operator.post(`/v1/tenants/${tenantId}/target-grants`, { provider: 'foundry', kind: 'account', value: 'acct/p1' });
    assert.equal(wrongKind.status, 400);
    const created = await sb.operator.post(`/v1/tenants/${tenantId}/target-grants`, { provider: 'foundry', kind: 'project', value: 'acct/p1' });
    assert.equal(created.status, 201, created.text);
    assert.match(created.json.id, /^tgr_/);
    const again = await sb.operator.post(`/v1/tenants/${tenantId}/target-grants`, { provider: 'foundry', kind: 'project', value: 'acct/p1' });
    assert.equal(again.status, 409);
    assert.equal((await sb.operator.post(`/v1/tenants/${newId('ten')}/target-grants`, { provider: 'foundry', kind: 'project', value: 'acct/p1' })).status, 404);
    assert.equal((await sb.as(keys.admin.key).post(`/v1/tenants/${tenantId}/target-grants`, { provider: 'foundry', kind: 'project', value: 'acct/p2' })).status, 403);
    // The grant lets the tenant's admin store agents on that project.
    const agent = await sb.as(keys.admin.key).post('/v1/agents', {
      name: uniqueName('foundry'),
      defaultProvider: 'foundry',
      targets: { foundry: { projectEndpoint: 'https://acct.services.ai.azure.com/api/projects/p1', agentName: 'refund', agentVersion: '3' } },
    });
    assert.equal(agent.status, 201, agent.text);
  });
});
