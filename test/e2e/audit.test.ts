import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { keyedChainHash } from '../../apps/broker/src/audit/audit-log.js';
import { newId } from '#libs/ids';
import { validateOcsfEvent } from '../support/ocsf-validator.js';
import { createTenantWithKeys, startTestBroker, uniqueName, type TestBroker } from '../support/test-broker.js';
import { asSuperuser as superuserTransaction } from '../support/superuser.js';

describe('audit API', () => {
  let sb: TestBroker;
  before(async () => {
    sb = await startTestBroker();
  });
  after(() => sb.close());

  /** A tenant with an agent and a couple of sessions, so its log holds every kind of event. */
  async function busyTenant() {
    const tenant = await createTenantWithKeys(sb, ['app', 'admin', 'auditor', 'finance']);
    const agentName = uniqueName('agent');
    await sb.as(tenant.keys.admin.key).post('/v1/agents', { name: agentName, defaultProvider: 'claude', targets: { claude: sb.broker.runtimes.demoTargets().claude } });
    const alice = sb.as(tenant.keys.app.key, { 'x-end-user': 'alice' });
    const bob = sb.as(tenant.keys.app.key, { 'x-end-user': 'bob' });
    const first = (await alice.post('/v1/sessions', { agent: agentName })).json;
    const second = (await bob.post('/v1/sessions', { agent: agentName })).json;
    await alice.post(`/v1/sessions/${first.id}/turns`, { input: 'hello' });
    await alice.delete(`/v1/sessions/${first.id}`);
    await bob.get(`/v1/sessions/${first.id}`); // denied: another user's session
    return { tenant, auditor: sb.as(tenant.keys.auditor.key), first, second };
  }

  /** Tampers with the log the way an attacker with database superuser access would. */
  const asSuperuser = (sql: string, parameters: unknown[]) =>
    superuserTransaction(sb.broker.database.database, async (query) => {
      await query(`SET LOCAL session_replication_role = replica`); // bypasses the append-only trigger
      await query(sql, parameters);
    });

  test('only auditors read the audit API', async () => {
    const { tenant } = await busyTenant();
    for (const role of ['app', 'admin', 'finance'] as const) {
      assert.equal((await sb.as(tenant.keys[role].key, { 'x-end-user': 'x' }).get('/v1/audit/events')).status, 403, role);
    }
    assert.equal((await sb.operator.get('/v1/audit/events')).status, 403);
  });

  test('events carry the API.md shape and filter by type, user and session with a cursor', async () => {
    const { tenant, auditor, first } = await busyTenant();
    const all = await auditor.get('/v1/audit/events?limit=1000');
    assert.equal(all.status, 200);
    const types = new Set(all.json.data.map((event: { type: string }) => event.type));
    for (const type of ['tenant.created', 'credential.created', 'agent.changed', 'session.bound', 'session.accessed', 'session.terminated', 'access.denied']) {
      assert.ok(types.has(type), `has ${type}`);
    }
    const bound = all.json.data.find((event: { type: string; session: string }) => event.type === 'session.bound' && event.session === first.id);
    assert.deepEqual(Object.keys(bound).sort(), ['actor', 'at', 'detail', 'hash', 'http', 'id', 'keyId', 'prevHash', 'provider', 'providerSession', 'requestId', 'seq', 'session', 'tenant', 'type', 'user'].sort());
    assert.equal(bound.tenant, tenant.tenantId);
    assert.equal(bound.user, 'alice');
    assert.deepEqual(bound.actor, { kind: 'api_key', id: tenant.keys.app.id });

    const denied = await auditor.get('/v1/audit/events?type=access.denied');
    assert.ok(denied.json.data.length >= 1 && denied.json.data.every((event: { type: string }) => event.type === 'access.denied'));
    assert.equal(denied.json.data[0].user, 'bob');
    assert.equal(denied.json.data[0].session, first.id);
    const bySession = await auditor.get(`/v1/audit/events?session=${first.id}`);
    assert.ok(bySession.json.data.every((event: { session: string }) => event.session === first.id));
    const byUser = await auditor.get('/v1/audit/events?user=alice');
    assert.ok(byUser.json.data.length > 0 && byUser.json.data.every((event: { user: string }) => event.user === 'alice'));

    const seen: number[] = [];
    let cursor: string | null = null;
    do {
      const page: { json: { data: { seq: number }[]; nextCursor: string | null } } = await auditor.get(`/v1/audit/events?limit=3${cursor ? `&cursor=${cursor}` : ''}`);
      seen.push(...page.json.data.map((event) => event.seq));
      cursor = page.json.nextCursor;
    } while (cursor);
    assert.deepEqual(seen, Array.from({ length: seen.length }, (_, index) => index + 1), 'pages walk seq 1..n with no gap');
  });

  test('bindings say who owns which session, including ended ones', async () => {
    const { auditor, first, second } = await busyTenant();
    const bindings = await auditor.get('/v1/audit/bindings');
    assert.equal(bindings.status, 200);
    const byId = new Map(bindings.json.data.map((binding: { session: string }) => [binding.session, binding]));
    assert.deepEqual(
      { ...(byId.get(first.id) as object), boundAt: undefined },
      {
        user: 'alice',
        session: first.id,
        provider: 'claude',
        providerSession: first.providerSession.id,
        agent: first.agent,
        status: 'terminated',
        terminationReason: 'client',
        boundAt: undefined,
        endedAt: (byId.get(first.id) as { endedAt: string }).endedAt,
      },
    );
    assert.ok((byId.get(first.id) as { endedAt: string | null }).endedAt);
    const live = await auditor.get('/v1/audit/bindings?status=idle&user=bob');
    assert.deepEqual(live.json.data.map((binding: { session: string }) => binding.session), [second.id]);
  });

  test('verify: ok untouched; an edited, a deleted and a swapped row each name the first bad seq', async () => {
    const clean = await busyTenant();
    const verdict = await clean.auditor.get('/v1/audit/verify');
    assert.equal(verdict.json.ok, true);
    assert.ok(verdict.json.checked >= 10);
    assert.equal(verdict.json.firstBadSeq, null);

    const edited = await busyTenant();
    await asSuperuser(`UPDATE audit_events SET detail = '{"forged":true}' WHERE tenant_id = $1 AND seq = 5`, [edited.tenant.tenantId]);
    assert.deepEqual(pick((await edited.auditor.get('/v1/audit/verify')).json), { ok: false, firstBadSeq: 5 });

    const deleted = await busyTenant();
    await asSuperuser(`DELETE FROM audit_events WHERE tenant_id = $1 AND seq = 7`, [deleted.tenant.tenantId]);
    assert.deepEqual(pick((await deleted.auditor.get('/v1/audit/verify')).json), { ok: false, firstBadSeq: 7 });

    const swapped = await busyTenant();
    for (const [from, to] of [[4, -4], [6, 4], [-4, 6]]) {
      await asSuperuser(`UPDATE audit_events SET seq = $3 WHERE tenant_id = $1 AND seq = $2`, [swapped.tenant.tenantId, from, to]);
    }
    assert.deepEqual(pick((await swapped.auditor.get('/v1/audit/verify')).json), { ok: false, firstBadSeq: 4 });

    const truncated = await busyTenant();
    const [{ max }] = await sb.broker.database.database.query<{ max: string }>(`SELECT max(seq) AS max FROM audit_events WHERE tenant_id = $1`, [truncated.tenant.tenantId]);
    await asSuperuser(`DELETE FROM audit_events WHERE tenant_id = $1 AND seq = $2`, [truncated.tenant.tenantId, Number(max)]);
    assert.deepEqual(pick((await truncated.auditor.get('/v1/audit/verify')).json), { ok: false, firstBadSeq: Number(max) });
  });

  test('verify covers 100,000 events', async () => {
    const { tenant, auditor } = await busyTenant();
    // Extend the tenant's real chain with 100,000 events hashed exactly as the broker does (its key), inserted in bulk.
    const key = sb.broker.audit.keyring.current;
    const [head] = await sb.broker.database.database.query<{ last_seq: string; last_hash: string }>(
      `SELECT last_seq, last_hash FROM audit_chain_heads WHERE tenant_id = $1`,
      [tenant.tenantId],
    );
    let seq = Number(head.last_seq);
    let previous = head.last_hash;
    for (let batch = 0; batch < 100; batch++) {
      const values: unknown[] = [];
      const tuples: string[] = [];
      for (let index = 0; index < 1000; index++) {
        seq++;
        const event = {
          id: newId('aud'), seq, at: new Date(Date.UTC(2026, 0, 1) + seq * 1000).toISOString(), type: 'session.accessed', tenant: tenant.tenantId,
          user: `user-${seq % 97}`, actor: { kind: 'api_key' as const, id: tenant.keys.app.id }, session: null, provider: 'claude',
          providerSession: null, requestId: `req-${seq}`, detail: { action: 'turn', n: seq }, keyId: key.id, prevHash: previous,
        };
        const hash = keyedChainHash(key, event);
        const base = values.length;
        values.push(tenant.tenantId, seq, event.id, event.at, event.type, event.user, event.actor.kind, event.actor.id, event.provider, event.requestId, JSON.stringify(event.detail), previous, hash, key.id);
        tuples.push(`(${Array.from({ length: 14 }, (_, offset) => `$${base + offset + 1}`).join(', ')})`);
        previous = hash;
      }
      await sb.broker.database.database.query(
        `INSERT INTO audit_events (tenant_id, seq, id, at, type, user_id, actor_kind, actor_id, provider, request_id, detail, prev_hash, hash, key_id) VALUES ${tuples.join(', ')}`,
        values,
      );
    }
    await sb.broker.database.database.query(`UPDATE audit_chain_heads SET last_seq = $2, last_hash = $3 WHERE tenant_id = $1`, [tenant.tenantId, seq, previous]);
    const verdict = await auditor.get('/v1/audit/verify');
    assert.equal(verdict.json.ok, true, JSON.stringify(verdict.json));
    assert.equal(verdict.json.checked, seq);
    assert.ok(seq >= 100_000);
  });

  test('export streams JSON lines and OCSF API Activity that validates against the OCSF schema', async () => {
    const { auditor } = await busyTenant();
    const jsonl = await auditor.get('/v1/audit/export?format=jsonl');
    assert.equal(jsonl.status, 200);
    const lines = jsonl.text.trim().split('\n').map((line) => JSON.parse(line) as { seq: number; type: string });
    assert.deepEqual(lines.map((line) => line.seq), Array.from({ length: lines.length }, (_, index) => index + 1));
    const ocsf = await auditor.get('/v1/audit/export?format=ocsf');
    const events = ocsf.text.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.equal(events.length, lines.length);
    for (const event of events) assert.deepEqual(validateOcsfEvent(event, 'api_activity'), [], JSON.stringify(event));
    assert.ok(events.some((event) => event.status_id === 2), 'denials are failures');
  });

  test('the platform operator sees events across tenants; tenants never do', async () => {
    const since = new Date(Date.now() - 1000).toISOString();
    const one = await busyTenant();
    const two = await busyTenant();
    // Other test files share the database: look only at what happened since this test began.
    const all = await sb.operator.get(`/v1/platform/audit/events?limit=1000&type=session.bound&from=${encodeURIComponent(since)}`);
    const tenants = new Set(all.json.data.map((event: { tenant: string }) => event.tenant));
    assert.ok(tenants.has(one.tenant.tenantId) && tenants.has(two.tenant.tenantId));
    const scoped = await sb.operator.get(`/v1/platform/audit/events?tenant=${one.tenant.tenantId}`);
    assert.ok(scoped.json.data.every((event: { tenant: string }) => event.tenant === one.tenant.tenantId));
    const fromTenant = await one.auditor.get('/v1/audit/events?limit=1000');
    assert.ok(fromTenant.json.data.every((event: { tenant: string }) => event.tenant === one.tenant.tenantId));
    assert.equal((await one.auditor.get('/v1/platform/audit/events')).status, 403);
  });
});

const pick = (verdict: { ok: boolean; firstBadSeq: number | null }) => ({ ok: verdict.ok, firstBadSeq: verdict.firstBadSeq });
