import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomInt } from 'node:crypto';
import pg from 'pg';
import { startClaudeEmulator, type ClaudeEmulator } from '#providers/claude';
import { claudeLiveOnly } from '../support/claude-live.js';
import { spawnBroker, type BrokerProcess } from '../support/broker-process.js';
import { HttpClient, type TestResponse } from '../support/http-client.js';
import { grantTargets } from '../support/target-grants.js';

/**
 * The binding under concurrent multi-tenant load: 5 tenants × 20 users run
 * create / turn / get / list / terminate at random, across 2 replicas (one on
 * the embedded database), and a share of requests use another user's or
 * tenant's session ids. Afterwards every foreign access got 404 and an
 * `access.denied` event, every transcript holds only its own turns, every
 * audit binding matches the sessions table, and no limit was exceeded at any
 * sampled moment. Both replicas drive one Claude emulator in live mode, as
 * two replicas share one cloud. PostgreSQL only: replicas need a shared
 * database, and the checks read it while the brokers run.
 */
const databaseUrl = process.env.DATABASE_URL;
const durationMs = Number(process.env.BINDING_LOAD_SECONDS ?? 60) * 1000;
const limits = { maxActiveSessionsPerUser: 3, maxActiveSessionsPerTenant: 40 };
const operatorKey = `load-operator-${randomBytes(12).toString('hex')}`;

describe('the user-session binding under concurrent multi-tenant load', { skip: databaseUrl ? false : 'needs PostgreSQL (DATABASE_URL): two replicas share one database' }, () => {
  let emulator: ClaudeEmulator;
  const replicas: BrokerProcess[] = [];
  const tenants: Array<{ id: string; app: string }> = [];

  before(async () => {
    emulator = await startClaudeEmulator();
    const env = {
      SWITCHBOARD_ADMIN_KEY: operatorKey,
      ...claudeLiveOnly(emulator.url),
      SWITCHBOARD_SEED_DEMO: 'off',
      DATABASE_URL: databaseUrl!,
    };
    for (let index = 0; index < 2; index++) replicas.push(await spawnBroker(env));
    const operator = new HttpClient(replicas[0].url, { authorization: `Bearer ${operatorKey}` });
    for (let index = 0; index < 5; index++) {
      const id = (await operator.post('/v1/tenants', { name: `load-${randomBytes(5).toString('hex')}` })).json.id as string;
      const admin = (await operator.post(`/v1/tenants/${id}/api-keys`, { role: 'admin', name: 'admin' })).json.key as string;
      const app = (await operator.post(`/v1/tenants/${id}/api-keys`, { role: 'app', name: 'app' })).json.key as string;
      await grantTargets({ operator }, id, { claude: emulator.demoTarget });
      const adminClient = new HttpClient(replicas[0].url, { authorization: `Bearer ${admin}` });
      assert.equal((await adminClient.post('/v1/agents', { name: 'agent', defaultProvider: 'claude', targets: { claude: emulator.demoTarget } })).status, 201);
      assert.equal((await adminClient.put('/v1/limits', limits)).status, 200);
      tenants.push({ id, app });
    }
  });
  after(async () => {
    for (const replica of replicas) replica.child.kill('SIGTERM');
    await Promise.all(replicas.map((replica) => replica.exited));
    await emulator?.stop();
  });

  test('foreign access is always 404 and audited; transcripts, bindings and limits hold', async () => {
    const owned: Array<{ tenant: number; user: string; session: string }> = [];
    const foreign: Array<{ requestId: string; tenantId: string; session: string; status: number }> = [];
    const violations: string[] = [];
    const client = (tenant: number, user: string) => new HttpClient(replicas[randomInt(replicas.length)].url, { authorization: `Bearer ${tenants[tenant].app}`, 'x-end-user': user });
    const deadline = Date.now() + durationMs;

    const sampler = new pg.Client({ connectionString: databaseUrl });
    await sampler.connect();
    let samples = 0;
    const sampling = (async () => {
      while (Date.now() < deadline) {
        const rows = await sampler.query<{ tenant_id: string; user_id: string; live: string }>(
          `SELECT tenant_id, user_id, count(*) AS live FROM sessions WHERE status <> 'terminated' AND tenant_id = ANY($1) GROUP BY tenant_id, user_id`,
          [tenants.map((tenant) => tenant.id)],
        );
        samples++;
        const perTenant = new Map<string, number>();
        for (const row of rows.rows) {
          if (Number(row.live) > limits.maxActiveSessionsPerUser) violations.push(`${row.tenant_id}/${row.user_id} had ${row.live} live sessions`);
          perTenant.set(row.tenant_id, (perTenant.get(row.tenant_id) ?? 0) + Number(row.live));
        }
        for (const [tenant, live] of perTenant) if (live > limits.maxActiveSessionsPerTenant) violations.push(`${tenant} had ${live} live sessions`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    })();

    const worker = async () => {
      while (Date.now() < deadline) {
        const tenant = randomInt(5);
        const user = `user-${randomInt(20)}`;
        const mine = owned.filter((entry) => entry.tenant === tenant && entry.user === user);
        const pick = randomInt(100);
        if (pick < 20 && owned.length > 0) {
          // Someone else's session: another user of this tenant, or another tenant's.
          const victim = owned[randomInt(owned.length)];
          if (victim.tenant === tenant && victim.user === user) continue;
          const actions: Array<(http: HttpClient) => Promise<TestResponse>> = [
            (http) => http.get(`/v1/sessions/${victim.session}`),
            (http) => http.post(`/v1/sessions/${victim.session}/turns`, { input: `intrusion into ${victim.session}` }),
            (http) => http.get(`/v1/sessions/${victim.session}/events`),
            (http) => http.delete(`/v1/sessions/${victim.session}`),
          ];
          const response = await actions[randomInt(actions.length)](client(tenant, user));
          foreign.push({ requestId: response.headers.get('x-request-id')!, tenantId: tenants[tenant].id, session: victim.session, status: response.status });
        } else if (pick < 45 || mine.length === 0) {
          const created = await client(tenant, user).post('/v1/sessions', { agent: 'agent' });
          if (created.status === 201) owned.push({ tenant, user, session: created.json.id });
          else if (created.status !== 429) violations.push(`create answered ${created.status}: ${created.text}`);
        } else {
          const session = mine[randomInt(mine.length)].session;
          const http = client(tenant, user);
          const response =
            pick < 75
              ? await http.post(`/v1/sessions/${session}/turns`, { input: `turn of ${session}` })
              : pick < 85
                ? await http.get(`/v1/sessions/${session}`)
                : pick < 92
                  ? await http.get('/v1/sessions?limit=10')
                  : await http.delete(`/v1/sessions/${session}`);
          if (response.status >= 500 || response.status === 404) violations.push(`own access answered ${response.status}: ${response.text.slice(0, 200)}`);
        }
      }
    };
    await Promise.all([...Array.from({ length: 24 }, worker), sampling]);

    try {
      assert.deepEqual(violations, []);
      assert.ok(samples > 10, `only ${samples} samples`);
      assert.ok(foreign.length > 20, `only ${foreign.length} foreign attempts`);
      assert.ok(foreign.every((attempt) => attempt.status === 404), `foreign statuses: ${[...new Set(foreign.map((attempt) => attempt.status))].join(',')}`);
      const denials = await sampler.query<{ request_id: string; tenant_id: string; session_id: string }>(
        `SELECT request_id, tenant_id, session_id FROM audit_events WHERE type = 'access.denied' AND request_id = ANY($1)`,
        [foreign.map((attempt) => attempt.requestId)],
      );
      const denied = new Map(denials.rows.map((row) => [row.request_id, row]));
      for (const attempt of foreign) {
        assert.deepEqual(denied.get(attempt.requestId), { request_id: attempt.requestId, tenant_id: attempt.tenantId, session_id: attempt.session });
      }
      const strayTurns = await sampler.query<{ count: string }>(
        `SELECT count(*) FROM session_events e WHERE e.type = 'turn.started' AND e.tenant_id = ANY($1) AND e.data::text NOT LIKE '%' || e.session_id || '%'`,
        [tenants.map((tenant) => tenant.id)],
      );
      assert.equal(Number(strayTurns.rows[0].count), 0, 'every transcript holds only its own turns');
      const bindings = await sampler.query<{ count: string }>(
        `SELECT count(*) FROM audit_events a LEFT JOIN sessions s ON s.id = a.session_id
         WHERE a.type = 'session.bound' AND a.tenant_id = ANY($1) AND (s.id IS NULL OR s.user_id <> a.user_id OR s.tenant_id <> a.tenant_id)`,
        [tenants.map((tenant) => tenant.id)],
      );
      assert.equal(Number(bindings.rows[0].count), 0, 'every audit binding matches the sessions table');
      const bound = await sampler.query<{ count: string }>(`SELECT count(*) FROM audit_events WHERE type = 'session.bound' AND tenant_id = ANY($1)`, [tenants.map((tenant) => tenant.id)]);
      assert.equal(Number(bound.rows[0].count), owned.length, 'one binding record per created session');
    } finally {
      await sampler.end();
    }
  });
});
