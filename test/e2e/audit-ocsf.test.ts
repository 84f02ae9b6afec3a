import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { validateOcsfEvent } from '../support/ocsf-validator.js';
import { createTenantWithKeys, startTestBroker, uniqueName, type TestBroker } from '../support/test-broker.js';

type Activity = 'Create' | 'Read' | 'Update' | 'Delete';
// An exported OCSF record, read field by field.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type OcsfRecord = Record<string, any>;

/**
 * What each HTTP operation does to its resource, written from the API, not
 * from the mapper: the oracle the exported activity must match. Events
 * recorded outside a request are the reaper's and the budget's terminations.
 */
const operationActivity: Record<string, Activity> = {
  'POST /v1/tenants': 'Create',
  'POST /v1/tenants/:tenantId/api-keys': 'Create',
  'POST /v1/api-keys': 'Create',
  'DELETE /v1/api-keys/:keyId': 'Delete',
  'POST /v1/agents': 'Create',
  'GET /v1/agents/:id': 'Read',
  'PATCH /v1/agents/:id': 'Update',
  'DELETE /v1/agents/:id': 'Delete',
  'POST /v1/sessions': 'Create',
  'GET /v1/sessions/:id': 'Read',
  'DELETE /v1/sessions/:id': 'Delete',
  'POST /v1/sessions/:id/turns': 'Create',
  'POST /v1/admin/sessions/:id/terminate': 'Delete',
  'POST /v1/admin/users/:userId/terminate-sessions': 'Delete',
  'PUT /v1/limits': 'Update',
  'PUT /v1/limits/users/:userId': 'Update',
  'DELETE /v1/limits/users/:userId': 'Delete',
};

interface StoredEvent {
  id: string;
  type: string;
  user: string | null;
  actor: { kind: string; id: string | null };
  http: { method: string; route: string; operationId: string; status: number; clientIp: string | null; clientPort: number | null } | null;
}

describe('audit: a normal day exported as OCSF', () => {
  let sb: TestBroker;
  let stored: StoredEvent[];
  let ocsf: OcsfRecord[];

  before(async () => {
    sb = await startTestBroker();
    const tenant = await createTenantWithKeys(sb, ['app', 'admin', 'auditor']);
    const admin = sb.as(tenant.keys.admin.key);
    const alice = sb.as(tenant.keys.app.key, { 'x-end-user': 'alice' });
    const bob = sb.as(tenant.keys.app.key, { 'x-end-user': 'bob' });
    const carol = sb.as(tenant.keys.app.key, { 'x-end-user': 'carol' });
    const targets = sb.broker.runtimes.demoTargets();
    const runtimes = Object.keys(targets);
    assert.ok(runtimes.length >= 4, `every runtime: ${runtimes.join(', ')}`);
    const agentName = uniqueName('agent');
    const agent = await admin.post('/v1/agents', { name: agentName, defaultProvider: 'claude', targets });
    assert.equal(agent.status, 201, agent.text);
    const expect = (response: { status: number; text: string }, status: number) => assert.equal(response.status, status, response.text);

    // Every runtime: a session, a turn and a read; alice ends hers.
    const sessions: string[] = [];
    for (const provider of runtimes) {
      const created = await alice.post('/v1/sessions', { agent: agentName, provider });
      expect(created, 201);
      sessions.push(created.json.id);
      expect(await alice.post(`/v1/sessions/${created.json.id}/turns`, { input: 'hello' }), 200);
      expect(await alice.get(`/v1/sessions/${created.json.id}`), 200);
    }
    expect(await alice.delete(`/v1/sessions/${sessions[0]}`), 200);
    // Denials: bob reads, deletes and talks to alice's session; an unknown agent and key.
    expect(await bob.get(`/v1/sessions/${sessions[1]}`), 404);
    expect(await bob.delete(`/v1/sessions/${sessions[1]}`), 404);
    expect(await bob.post(`/v1/sessions/${sessions[1]}/turns`, { input: 'hi' }), 404);
    expect(await bob.post('/v1/sessions', { agent: 'no-such-agent' }), 404);
    expect(await admin.get('/v1/agents/agt_00000000000000000000000000'), 404);
    expect(await admin.patch('/v1/agents/agt_00000000000000000000000000', { description: 'x' }), 404);
    expect(await admin.delete('/v1/api-keys/key_00000000000000000000000000'), 404);
    expect(await admin.post('/v1/admin/sessions/ses_00000000000000000000000000/terminate'), 404);
    // Kill switch: one session, then every session of a user.
    expect(await admin.post(`/v1/admin/sessions/${sessions[1]}/terminate`), 200);
    const bobs = (await bob.post('/v1/sessions', { agent: agentName })).json.id;
    expect(await admin.post('/v1/admin/users/bob/terminate-sessions'), 200);
    assert.ok(bobs);
    // Limit changes, and a limit that refuses.
    expect(await admin.put('/v1/limits', { maxActiveSessionsPerUser: 1 }), 200);
    expect(await carol.post('/v1/sessions', { agent: agentName }), 201);
    const refused = await carol.post('/v1/sessions', { agent: agentName });
    assert.ok(refused.status >= 400 && refused.status < 500, refused.text);
    expect(await admin.put('/v1/limits/users/carol', { maxActiveSessionsPerUser: 3 }), 200);
    expect(await admin.delete('/v1/limits/users/carol'), 200);
    expect(await admin.put('/v1/limits', { maxActiveSessionsPerUser: null }), 200);
    // Agents and keys change.
    expect(await admin.patch(`/v1/agents/${agent.json.id}`, { description: 'triage' }), 200);
    const spare = await admin.post('/v1/agents', { name: uniqueName('agent'), defaultProvider: 'claude', targets: { claude: targets.claude } });
    expect(await admin.delete(`/v1/agents/${spare.json.id}`), 204);
    const key = await admin.post('/v1/api-keys', { role: 'app', name: 'spare' });
    expect(key, 201);
    expect(await admin.delete(`/v1/api-keys/${key.json.id}`), 200);

    const auditor = sb.as(tenant.keys.auditor.key);
    stored = (await auditor.get('/v1/audit/export?format=jsonl')).text.trim().split('\n').map((line) => JSON.parse(line) as StoredEvent);
    ocsf = (await auditor.get('/v1/audit/export?format=ocsf')).text.trim().split('\n').map((line) => JSON.parse(line) as OcsfRecord);
  });
  after(() => sb.close());

  test('every record is valid OCSF API Activity and says what happened to the resource', () => {
    assert.equal(ocsf.length, stored.length);
    const types = new Set(stored.map((event) => event.type));
    for (const type of ['tenant.created', 'credential.created', 'credential.revoked', 'agent.changed', 'session.bound', 'session.accessed', 'session.terminated', 'access.denied', 'limit.denied', 'limits.changed']) {
      assert.ok(types.has(type), `the day has ${type}`);
    }
    const problems = ocsf.flatMap((record) => validateOcsfEvent(record, 'api_activity').map((problem) => `${record.metadata.uid}: ${problem}`));
    assert.deepEqual(problems, []);
    const mismatches: string[] = [];
    for (const [index, event] of stored.entries()) {
      const record = ocsf[index];
      assert.equal(record.metadata.uid, event.id);
      const operation = event.http ? `${event.http.method} ${event.http.route}` : null;
      const expected = operation ? operationActivity[operation] : event.type === 'session.terminated' ? 'Delete' : undefined;
      assert.ok(expected, `no oracle for ${event.type} in ${operation}`);
      if (record.activity_name !== expected) mismatches.push(`${event.type} (${operation}): ${record.activity_name}, expected ${expected}`);
    }
    assert.deepEqual(mismatches, [], `${mismatches.length} of ${stored.length} records carry the wrong activity`);
  });

  test('src_endpoint is the caller, api carries the operation and its status, actor.user who acted', () => {
    for (const [index, event] of stored.entries()) {
      const record = ocsf[index];
      if (!event.http) {
        assert.deepEqual(record.src_endpoint, { name: 'switchboard' }, event.type);
        continue;
      }
      assert.equal(event.http.clientIp, '127.0.0.1');
      assert.ok(Number.isInteger(event.http.clientPort));
      assert.deepEqual(record.src_endpoint, { ip: '127.0.0.1', port: event.http.clientPort });
      assert.equal(record.api.operation, event.http.operationId);
      assert.deepEqual(record.api.response, { code: event.http.status });
      const denied = event.type === 'access.denied' || event.type === 'limit.denied';
      assert.ok(denied ? event.http.status >= 400 : event.http.status < 300, `${event.type} answered ${event.http.status}`);
      if (event.actor.kind !== 'system') assert.ok(record.actor.user?.uid, `${event.type}: a user or key is behind it`);
      const observed = new Map((record.observables as Array<{ name: string; value: string }>).map((item) => [item.name, item.value]));
      assert.equal(observed.get('src_endpoint.ip'), '127.0.0.1');
      assert.equal(observed.get('metadata.tenant_uid'), record.metadata.tenant_uid);
      if (event.user) assert.equal(observed.get('actor.user.uid'), event.user);
    }
  });
});

describe('audit: the caller address honours HTTP_TRUST_PROXY_HOPS', () => {
  for (const hops of ['0', '1']) {
    test(`HTTP_TRUST_PROXY_HOPS=${hops}`, async () => {
      const sb = await startTestBroker({ HTTP_TRUST_PROXY_HOPS: hops });
      try {
        const tenant = await createTenantWithKeys(sb, ['admin', 'auditor']);
        const forwarded = sb.as(tenant.keys.admin.key, { 'x-forwarded-for': '203.0.113.9' });
        assert.equal((await forwarded.put('/v1/limits', { maxActiveSessionsPerUser: 2 })).status, 200);
        const events = (await sb.as(tenant.keys.auditor.key).get('/v1/audit/export?format=jsonl')).text.trim().split('\n').map((line) => JSON.parse(line) as StoredEvent);
        const changed = events.find((event) => event.type === 'limits.changed')!;
        if (hops === '0') {
          // Not trusted: a client cannot forge its address.
          assert.equal(changed.http!.clientIp, '127.0.0.1');
          assert.ok(Number.isInteger(changed.http!.clientPort));
        } else {
          assert.equal(changed.http!.clientIp, '203.0.113.9');
          assert.equal(changed.http!.clientPort, null, 'a proxy does not forward the client port');
        }
      } finally {
        await sb.close();
      }
    });
  }
});
