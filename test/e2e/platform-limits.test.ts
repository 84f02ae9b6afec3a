import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Reaper } from '../../apps/broker/src/lifecycle/reaper.js';
import type { HttpClient, TestResponse } from '../support/http-client.js';
import { realPlatformLimits } from '../support/platform-limits.js';
import { parseSse } from '../support/sse.js';
import { createTenantWithKeys, startTestBroker, uniqueName, type TestBroker } from '../support/test-broker.js';

type Faults = { faults: { add(op: string, fault: object): void } };

/** Platform defaults and ceilings (README: Platform limits), on the limits a fresh broker ships with. */
describe('platform limits: defaults and ceilings', () => {
  let sb: TestBroker;
  before(async () => {
    sb = await startTestBroker({ ...realPlatformLimits });
  });
  after(() => sb.close());

  async function tenantWithAgent(broker = sb) {
    const tenant = await createTenantWithKeys(broker, ['app', 'admin']);
    const agentName = uniqueName('agent');
    const created = await broker.as(tenant.keys.admin.key).post('/v1/agents', { name: agentName, defaultProvider: 'claude', targets: broker.broker.runtimes.demoTargets() });
    assert.equal(created.status, 201, created.text);
    const user = (id: string) => broker.as(tenant.keys.app.key, { 'x-end-user': id });
    const create = (client: HttpClient) => client.post('/v1/sessions', { agent: agentName });
    return { admin: broker.as(tenant.keys.admin.key), user, create };
  }

  test('a fresh tenant gets the platform defaults: the 21st live session of one user is 429 limit_exceeded', async () => {
    const { admin, user, create } = await tenantWithAgent();
    const limits = await admin.get('/v1/limits');
    assert.equal(limits.status, 200, limits.text);
    assert.equal(limits.json.maxActiveSessionsPerUser, 20);
    assert.equal(limits.json.sources.maxActiveSessionsPerUser, 'platform');
    assert.deepEqual(limits.json.platform.maxActiveSessionsPerUser, { default: 20, ceiling: 20 });
    assert.deepEqual(limits.json.platform.maxOpenStreamsPerTenant, { default: 200, ceiling: 200 });
    assert.equal(limits.json.platform.maxOpenStreamsPerReplica, 1000);
    const alice = user('alice');
    for (let index = 0; index < 20; index += 1) assert.equal((await create(alice)).status, 201, `session ${index + 1}`);
    const over = await create(alice);
    assert.equal(over.status, 429, over.text);
    assert.equal(over.json.code, 'limit_exceeded');
    assert.equal(over.json.limit, 'maxActiveSessionsPerUser');
    assert.match(over.json.detail, /20 of 20/);
    assert.equal((await create(user('bob'))).status, 201, 'other users are not affected');
  });

  test('a tenant or user policy above a ceiling is refused (400 invalid_request naming each field) and nothing changes', async () => {
    const { admin } = await tenantWithAgent();
    const refused = await admin.put('/v1/limits', { maxActiveSessionsPerUser: 21, turnsPerMinutePerUser: 10 });
    assert.equal(refused.status, 400, refused.text);
    assert.equal(refused.json.code, 'invalid_request');
    assert.deepEqual(refused.json.errors.map((error: { path: string }) => error.path), ['body.maxActiveSessionsPerUser']);
    assert.match(refused.json.errors[0].message, /above the platform ceiling of 20/);
    for (const [field, value] of [['maxActiveSessionsPerTenant', 501], ['sessionCreatesPerMinutePerUser', 61], ['turnsPerMinutePerUser', 121], ['maxOpenStreamsPerTenant', 201]] as const) {
      const response = await admin.put('/v1/limits', { [field]: value });
      assert.equal(response.status, 400, `${field}: ${response.text}`);
      assert.deepEqual(response.json.errors.map((error: { path: string }) => error.path), [`body.${field}`]);
    }
    const userOverride = await admin.put('/v1/limits/users/vip', { maxActiveSessionsPerUser: 1000 });
    assert.equal(userOverride.status, 400, userOverride.text);
    assert.equal(userOverride.json.code, 'invalid_request');
    const unchanged = await admin.get('/v1/limits');
    assert.equal(unchanged.json.turnsPerMinutePerUser, 120, 'the refused PUT changed nothing');
    assert.equal(unchanged.json.sources.turnsPerMinutePerUser, 'platform');
    // At the ceiling is allowed; null means "no limit of the tenant's own", i.e. the ceiling.
    const atCeiling = await admin.put('/v1/limits', { maxActiveSessionsPerUser: 20, maxActiveSessionsPerTenant: null });
    assert.equal(atCeiling.status, 200, atCeiling.text);
    assert.equal(atCeiling.json.maxActiveSessionsPerUser, 20);
    assert.equal(atCeiling.json.sources.maxActiveSessionsPerUser, 'tenant');
    assert.equal(atCeiling.json.maxActiveSessionsPerTenant, 500);
    assert.equal(atCeiling.json.sources.maxActiveSessionsPerTenant, 'platform');
    // A GET body can be sent back as it is (the read-only fields are ignored).
    const roundTrip = await admin.put('/v1/limits', atCeiling.json);
    assert.equal(roundTrip.status, 200, roundTrip.text);
  });

  test('a tighter tenant policy is honoured, and a user override within the ceiling wins over it', async () => {
    const { admin, user, create } = await tenantWithAgent();
    const tightened = await admin.put('/v1/limits', { maxActiveSessionsPerUser: 2 });
    assert.equal(tightened.json.maxActiveSessionsPerUser, 2);
    assert.equal(tightened.json.sources.maxActiveSessionsPerUser, 'tenant');
    const carol = user('carol');
    assert.equal((await create(carol)).status, 201);
    assert.equal((await create(carol)).status, 201);
    const third = await create(carol);
    assert.equal(third.status, 429);
    assert.equal(third.json.limit, 'maxActiveSessionsPerUser');
    assert.match(third.json.detail, /2 of 2/);
    const vip = await admin.put('/v1/limits/users/carol', { maxActiveSessionsPerUser: 3 });
    assert.equal(vip.status, 200, vip.text);
    assert.equal(vip.json.policy.maxActiveSessionsPerUser, 3);
    assert.equal(vip.json.sources.maxActiveSessionsPerUser, 'user');
    assert.equal((await create(carol)).status, 201);
  });

  test('maxOpenStreamsPerTenant: a turn past the tenant’s turns in flight is 429 limit_exceeded', async () => {
    const { admin, user, create } = await tenantWithAgent();
    assert.equal((await admin.put('/v1/limits', { maxOpenStreamsPerTenant: 1 })).status, 200);
    const [first, second] = [(await create(user('dan'))).json.id as string, (await create(user('eve'))).json.id as string];
    sb.broker.runtimes.emulator<Faults>('claude')!.faults.add('turns.run', { kind: 'delay', ms: 4000, times: 1 });
    const held = user('dan').post(`/v1/sessions/${first}/turns`, { input: 'hold' }, { accept: 'text/event-stream' });
    await untilActive(user('dan'), first);
    const refused = await user('eve').post(`/v1/sessions/${second}/turns`, { input: 'one too many' });
    assert.equal(refused.status, 429, refused.text);
    assert.equal(refused.json.code, 'limit_exceeded');
    assert.equal(refused.json.limit, 'maxOpenStreamsPerTenant');
    assert.ok(refused.headers.get('retry-after'));
    assert.equal(parseSse((await held).text).at(-1)?.event, 'turn.completed');
    const later = await user('eve').post(`/v1/sessions/${second}/turns`, { input: 'now there is room' });
    assert.equal(later.status, 200, later.text);
  });

  test('rate windows of past minutes are deleted by the reaper (every user writes them now), the current one kept', async () => {
    const { user, create } = await tenantWithAgent();
    assert.equal((await create(user('rater'))).status, 201);
    const sql = <T>(text: string, parameters: unknown[] = []) => sb.broker.database.database.query<T>(text, parameters);
    const [{ tenant_id: tenantId }] = await sql<{ tenant_id: string }>(`SELECT tenant_id FROM rate_windows WHERE user_id = 'rater'`);
    await sql(`INSERT INTO rate_windows (tenant_id, user_id, kind, window_start, count) VALUES ($1, 'rater', 'turn', date_trunc('minute', now()) - interval '5 minutes', 7)`, [tenantId]);
    await sb.broker.app.get(Reaper).sweepOnce();
    const left = await sql<{ kind: string; old: boolean }>(
      `SELECT kind, window_start < date_trunc('minute', now()) - interval '1 minute' AS old FROM rate_windows WHERE tenant_id = $1 AND user_id = 'rater'`,
      [tenantId],
    );
    assert.ok(!left.some((row) => row.old), `old windows left: ${JSON.stringify(left)}`);
    assert.ok(left.some((row) => row.kind === 'session_create'), "the recent window stays");
  });

  test('LIMIT_MAX_OPEN_STREAMS_PER_REPLICA: past it a turn is 503 replica_at_capacity with Retry-After, and nothing is recorded', async () => {
    const small = await startTestBroker({ ...realPlatformLimits, LIMIT_MAX_OPEN_STREAMS_PER_REPLICA: '2' });
    try {
      const { user, create } = await tenantWithAgent(small);
      const ids = [] as string[];
      for (const name of ['u1', 'u2', 'u3']) ids.push((await create(user(name))).json.id as string);
      small.broker.runtimes.emulator<Faults>('claude')!.faults.add('turns.run', { kind: 'delay', ms: 4000, times: 2 });
      const held = [0, 1].map((index) => user(`u${index + 1}`).post(`/v1/sessions/${ids[index]}/turns`, { input: 'hold' }, { accept: 'text/event-stream' }));
      for (const index of [0, 1]) await untilActive(user(`u${index + 1}`), ids[index]);
      const refused = await user('u3').post(`/v1/sessions/${ids[2]}/turns`, { input: 'no room' }, { accept: 'text/event-stream' });
      assert.equal(refused.status, 503, refused.text);
      assert.equal(refused.json.code, 'replica_at_capacity');
      assert.equal(refused.json.limit, 'maxOpenStreamsPerReplica');
      assert.equal(refused.headers.get('retry-after'), '1');
      const transcript = await user('u3').get(`/v1/sessions/${ids[2]}/events`);
      assert.equal(transcript.json.data.length, 0, 'the refused turn left no trace');
      for (const response of await Promise.all(held)) assert.equal(parseSse(response.text).at(-1)?.event, 'turn.completed');
      const later = await user('u3').post(`/v1/sessions/${ids[2]}/turns`, { input: 'room again' });
      assert.equal(later.status, 200, later.text);
    } finally {
      await small.close();
    }
  });
});

/** Waits until the session's turn is claimed (the session is `active`). */
async function untilActive(client: HttpClient, sessionId: string): Promise<void> {
  let last: TestResponse | undefined;
  for (let attempt = 0; attempt < 200; attempt += 1) {
    last = await client.get(`/v1/sessions/${sessionId}`);
    if (last.json?.status === 'active') return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`session ${sessionId} never became active: ${last?.text}`);
}
