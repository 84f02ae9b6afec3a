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

  before(async () => {
    for (let index = 0; index < 3; index++) {
      replicas.push(await spawnBroker({ DATABASE_URL: databaseUrl!, SWITCHBOARD_ADMIN_KEY: operatorKey, DATABASE_POOL_SIZE: '10' }));
    }
    const operator = new HttpClient(replicas[0].url, { authorization: `Bearer ${operatorKey}` });
    tenantId = (await operator.post('/v1/tenants', { name: uniqueName('replicas') })).json.id;
    const adminKey = (await operator.post(`/v1/tenants/${tenantId}/api-keys`, { role: 'admin', name: 'admin' })).json.key;
    const appKey = (await operator.post(`/v1/tenants/${tenantId}/api-keys`, { role: 'app', name: 'app' })).json.key;
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

  const liveInDatabase = async (user?: string) => {
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      const result = await client.query<{ count: string }>(
        `SELECT count(*) FROM sessions WHERE tenant_id = $1 AND status <> 'terminated' AND ($2::text IS NULL OR user_id = $2)`,
        [tenantId, user ?? null],
      );
      return Number(result.rows[0].count);
    } finally {
      await client.end();
    }
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
});
