import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { spawnBroker, type BrokerProcess } from '../support/broker-process.js';
import { HttpClient } from '../support/http-client.js';
import { uniqueName } from '../support/test-broker.js';

const databaseUrl = process.env.DATABASE_URL;
const operatorKey = 'replica-test-operator-key-0123456789abcdef';

/**
 * Limits hold across replicas: three broker processes on one PostgreSQL,
 * hundreds of concurrent creates spread over them. (The embedded database is
 * single-process, so this runs on PostgreSQL only.)
 */
describe('limits across three replicas', { skip: databaseUrl ? false : 'needs PostgreSQL (DATABASE_URL): the embedded database admits one process' }, () => {
  const replicas: BrokerProcess[] = [];
  let admin: HttpClient;
  let app: (replica: number, user: string) => HttpClient;
  let agentName: string;
  let tenantId: string;
  let auditor: HttpClient;

  before(async () => {
    for (let index = 0; index < 3; index++) {
      replicas.push(await spawnBroker({ DATABASE_URL: databaseUrl!, SWITCHBOARD_ADMIN_KEY: operatorKey, DATABASE_POOL_SIZE: '10' }));
    }
    const operator = new HttpClient(replicas[0].url, { authorization: `Bearer ${operatorKey}` });
    tenantId = (await operator.post('/v1/tenants', { name: uniqueName('replicas') })).json.id;
    const adminKey = (await operator.post(`/v1/tenants/${tenantId}/api-keys`, { role: 'admin', name: 'admin' })).json.key;
    const appKey = (await operator.post(`/v1/tenants/${tenantId}/api-keys`, { role: 'app', name: 'app' })).json.key;
    const auditorKey = (await operator.post(`/v1/tenants/${tenantId}/api-keys`, { role: 'auditor', name: 'auditor' })).json.key;
    auditor = new HttpClient(replicas[2].url, { authorization: `Bearer ${auditorKey}` });
    admin = new HttpClient(replicas[1].url, { authorization: `Bearer ${adminKey}` });
    app = (replica, user) => new HttpClient(replicas[replica % 3].url, { authorization: `Bearer ${appKey}`, 'x-end-user': user });
    agentName = uniqueName('agent');
    const target = { agentId: 'agent_011CSwitchboardDemoAgent', environmentId: 'env_011CSwitchboardDemoEnvironment' };
    assert.equal((await admin.post('/v1/agents', { name: agentName, defaultProvider: 'claude', targets: { claude: target } })).status, 201);
  });
  after(async () => {
    for (const replica of replicas) replica.child.kill('SIGTERM');
    await Promise.all(replicas.map((replica) => replica.exited));
  });

  const inDatabase = async <T extends Record<string, unknown>>(sql: string, parameters: unknown[]): Promise<T[]> => {
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      return (await client.query<T>(sql, parameters)).rows;
    } finally {
      await client.end();
    }
  };
  const liveInDatabase = async (user?: string) => {
    const [row] = await inDatabase<{ count: string }>(
      `SELECT count(*) FROM sessions WHERE tenant_id = $1 AND status <> 'terminated' AND ($2::text IS NULL OR user_id = $2)`,
      [tenantId, user ?? null],
    );
    return Number(row.count);
  };

  test('300 concurrent creates for one user with a limit of 5: exactly 5 succeed', async () => {
    await admin.put('/v1/limits', { maxActiveSessionsPerUser: 5, maxActiveSessionsPerTenant: null });
    const results = await Promise.all(Array.from({ length: 300 }, (_, index) => app(index, 'hot-user').post('/v1/sessions', { agent: agentName })));
    const created = results.filter((result) => result.status === 201).length;
    const limited = results.filter((result) => result.status === 429 && result.json.limit === 'maxActiveSessionsPerUser').length;
    assert.equal(created, 5, `statuses: ${[...new Set(results.map((result) => result.status))].join(',')}`);
    assert.equal(limited, 295);
    assert.equal(await liveInDatabase('hot-user'), 5, 'the database agrees');
  });

  test('300 concurrent creates by 100 users with a tenant limit of 20: exactly 20 succeed', async () => {
    await admin.put('/v1/limits', { maxActiveSessionsPerUser: null, maxActiveSessionsPerTenant: 25 });
    const before = await liveInDatabase();
    await admin.put('/v1/limits', { maxActiveSessionsPerTenant: before + 20 });
    const results = await Promise.all(Array.from({ length: 300 }, (_, index) => app(index, `user-${index % 100}`).post('/v1/sessions', { agent: agentName })));
    const created = results.filter((result) => result.status === 201).length;
    assert.equal(created, 20);
    assert.equal(results.filter((result) => result.status === 429 && result.json.limit === 'maxActiveSessionsPerTenant').length, 280);
    assert.equal(await liveInDatabase(), before + 20);
  });

  test('200 concurrent creates for one user at 7 creates a minute: each minute window admits at most 7, and counts what it admitted', async () => {
    await admin.put('/v1/limits', { maxActiveSessionsPerUser: null, maxActiveSessionsPerTenant: null, sessionCreatesPerMinutePerUser: 7 });
    const results = await Promise.all(Array.from({ length: 200 }, (_, index) => app(index, 'rate-user').post('/v1/sessions', { agent: agentName })));
    const created = results.filter((result) => result.status === 201).length;
    const windows = await inDatabase<{ count: number }>(
      `SELECT count FROM rate_windows WHERE tenant_id = $1 AND user_id = 'rate-user' AND kind = 'session_create'`,
      [tenantId],
    );
    // A burst that straddles a minute boundary may use two windows.
    assert.ok(windows.length >= 1 && windows.length <= 2 && windows.every((window) => window.count <= 7), JSON.stringify(windows));
    assert.equal(created, windows.reduce((sum, window) => sum + window.count, 0));
    assert.equal(results.filter((result) => result.status === 429 && result.json.limit === 'sessionCreatesPerMinutePerUser').length, 200 - created);
    assert.equal(await liveInDatabase('rate-user'), created);
    await admin.put('/v1/limits', { sessionCreatesPerMinutePerUser: 1_000_000 });
  });

  test("after the bursts the tenant's audit chain verifies: every create and refusal chained, seq without a gap", async () => {
    const [{ count, sessions }] = await inDatabase<{ count: string; sessions: string }>(
      `SELECT (SELECT count(*) FROM audit_events WHERE tenant_id = $1) AS count, (SELECT count(*) FROM sessions WHERE tenant_id = $1) AS sessions`,
      [tenantId],
    );
    const verdict = await auditor.get('/v1/audit/verify');
    assert.deepEqual(
      { ok: verdict.json.ok, checked: verdict.json.checked, firstBadSeq: verdict.json.firstBadSeq },
      { ok: true, checked: Number(count), firstBadSeq: null },
    );
    const [{ bound, provisioned, denied }] = await inDatabase<{ bound: string; provisioned: string; denied: string }>(
      `SELECT count(*) FILTER (WHERE type = 'session.bound') AS bound,
         count(*) FILTER (WHERE type = 'session.accessed' AND detail->>'action' = 'provisioned') AS provisioned,
         count(*) FILTER (WHERE type = 'limit.denied') AS denied
       FROM audit_events WHERE tenant_id = $1`,
      [tenantId],
    );
    assert.equal(Number(bound), Number(sessions));
    assert.equal(Number(provisioned), Number(sessions));
    assert.equal(Number(denied), 295 + 280 + (200 - (Number(sessions) - 25)));
  });
});
