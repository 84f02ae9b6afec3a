import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createTenantWithKeys, startTestBroker, uniqueName, type TestBroker } from '../support/test-broker.js';
import type { HttpClient } from '../support/http-client.js';

/**
 * The isolation rule of API.md §1 on every session route: user A and user B
 * of one tenant, and a user of another tenant, each try every route on the
 * others' sessions. Every attempt is a 404 indistinguishable from a missing
 * session, and each denial is in the audit log with tenant, user, actor,
 * requested session and request id.
 */
describe('session isolation between users and tenants', () => {
  let sb: TestBroker;
  const actors: Array<{ label: string; tenantId: string; keyId: string; user: string; client: HttpClient; sessionId: string }> = [];

  before(async () => {
    sb = await startTestBroker();
    const target = sb.broker.runtimes.demoTargets().claude;
    for (const [tenantLabel, users] of [['one', ['alice', 'bob']], ['two', ['alice']]] as const) {
      const tenant = await createTenantWithKeys(sb, ['app', 'admin']);
      const agentName = uniqueName('agent');
      const agent = await sb.as(tenant.keys.admin.key).post('/v1/agents', { name: agentName, defaultProvider: 'claude', targets: { claude: target } });
      assert.equal(agent.status, 201, agent.text);
      for (const user of users) {
        const client = sb.as(tenant.keys.app.key, { 'x-end-user': user });
        const session = await client.post('/v1/sessions', { agent: agentName });
        assert.equal(session.status, 201, session.text);
        actors.push({ label: `${tenantLabel}/${user}`, tenantId: tenant.tenantId, keyId: tenant.keys.app.id, user, client, sessionId: session.json.id });
      }
    }
  });
  after(() => sb.close());

  /**
   * Every operation the OpenAPI document lists on one session
   * (`/v1/sessions/{id}...`), walked from the route table, plus the SSE
   * variant of a turn. A new session route is covered without editing this test.
   */
  type Call = (client: HttpClient, id: string) => Promise<{ status: number; json: { code?: string; detail?: string }; headers: Headers }>;
  let routes: Array<{ name: string; call: Call }> = [];
  const bodies: Record<string, unknown> = { 'post /v1/sessions/{id}/turns': { input: 'let me in' } };

  before(async () => {
    const document = (await sb.anonymous.get('/openapi.json')).json as { paths: Record<string, Record<string, unknown>> };
    routes = Object.entries(document.paths)
      .filter(([path]) => path.startsWith('/v1/sessions/{id}'))
      .flatMap(([path, operations]) =>
        Object.keys(operations).map((method) => {
          const name = `${method} ${path}`;
          // A turn's routes (issue 16) name a well-formed turn id: the session decides first.
          const call: Call = (client, id) => client.request(method.toUpperCase(), path.replace('{id}', id).replace('{turnId}', 'trn_00000000000000000000000000'), bodies[name]);
          return { name, call };
        }),
      );
    routes.push({ name: 'post /v1/sessions/{id}/turns (stream)', call: (client, id) => client.post(`/v1/sessions/${id}/turns`, { input: 'let me in' }, { accept: 'text/event-stream' }) });
    const walked = routes.map((route) => route.name);
    for (const expected of ['delete /v1/sessions/{id}', 'get /v1/sessions/{id}', 'get /v1/sessions/{id}/events', 'post /v1/sessions/{id}/turns']) {
      assert.ok(walked.includes(expected), `the walk found ${expected}`);
    }
  });

  test('every session route on another user’s or tenant’s session is 404 and audited', async () => {
    const unknownSession = 'ses_00000000000000000000000000';
    const missing = await actors[0].client.get(`/v1/sessions/${unknownSession}`);
    let attempts = 0;
    for (const caller of actors) {
      for (const owner of actors) {
        if (owner === caller) continue;
        for (const route of routes) {
          const response = await route.call(caller.client, owner.sessionId);
          attempts++;
          assert.equal(response.status, 404, `${caller.label} → ${route.name} on ${owner.label}`);
          assert.equal(response.json.code, 'not_found');
          assert.equal(response.json.detail, missing.json.detail, 'indistinguishable from a missing session');
          const [denial] = await sb.broker.database.database.inTenant(caller.tenantId, (tx) =>
            tx.rows<{ user_id: string; actor_kind: string; actor_id: string; session_id: string; tenant_id: string }>(
              `SELECT user_id, actor_kind, actor_id, session_id, tenant_id FROM audit_events WHERE type = 'access.denied' AND request_id = $1`,
              [response.headers.get('x-request-id')],
            ),
          );
          assert.deepEqual(
            denial,
            { user_id: caller.user, actor_kind: 'api_key', actor_id: caller.keyId, session_id: owner.sessionId, tenant_id: caller.tenantId },
            `${caller.label} → ${route.name} on ${owner.label} is audited`,
          );
        }
      }
    }
    assert.equal(attempts, 6 * routes.length);
    assert.ok(routes.length >= 5);
  });

  test('the owners’ sessions are untouched by all of that', async () => {
    for (const owner of actors) {
      const session = await owner.client.get(`/v1/sessions/${owner.sessionId}`);
      assert.equal(session.status, 200);
      assert.equal(session.json.status, 'idle');
      assert.equal(session.json.usage.turns, 0);
      const listed = await owner.client.get('/v1/sessions');
      assert.deepEqual(listed.json.data.map((item: { id: string }) => item.id), [owner.sessionId], 'a user lists only their own sessions');
    }
  });
});
