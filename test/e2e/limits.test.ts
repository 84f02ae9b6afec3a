import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createTenantWithKeys, startTestBroker, uniqueName, type TestBroker } from '../support/test-broker.js';
import type { HttpClient } from '../support/http-client.js';

describe('limits (API.md §5)', () => {
  let sb: TestBroker;
  before(async () => {
    // A tiny per-turn estimate, so budget tests control exactly how many turns fit.
    sb = await startTestBroker({ TURN_COST_ESTIMATE_USD: '0.0001' });
  });
  after(() => sb.close());

  async function tenantWithAgent() {
    const tenant = await createTenantWithKeys(sb, ['app', 'admin', 'auditor']);
    const agentName = uniqueName('agent');
    const targets = sb.broker.runtimes.demoTargets();
    const created = await sb.as(tenant.keys.admin.key).post('/v1/agents', { name: agentName, defaultProvider: 'claude', targets });
    assert.equal(created.status, 201, created.text);
    const admin = sb.as(tenant.keys.admin.key);
    const user = (id: string) => sb.as(tenant.keys.app.key, { 'x-end-user': id });
    const create = (client: HttpClient, body: Record<string, unknown> = {}) => client.post('/v1/sessions', { agent: agentName, ...body });
    return { tenant, admin, user, create, auditor: sb.as(tenant.keys.auditor.key) };
  }

  test('PUT replaces sent fields, keeps omitted ones, null removes; every change is audited', async () => {
    const { admin, auditor, tenant } = await tenantWithAgent();
    const initial = await admin.get('/v1/limits');
    assert.equal(initial.status, 200);
    assert.equal(initial.json.maxActiveSessionsPerUser, null);
    assert.equal(initial.json.requiredIsolation, 'any');
    const first = await admin.put('/v1/limits', { maxActiveSessionsPerUser: 5, monthlyBudgetUsdPerUser: '50' });
    assert.equal(first.json.maxActiveSessionsPerUser, 5);
    assert.equal(first.json.monthlyBudgetUsdPerUser, '50');
    const second = await admin.put('/v1/limits', { turnsPerMinutePerUser: 120, maxActiveSessionsPerUser: null });
    assert.equal(second.json.turnsPerMinutePerUser, 120);
    assert.equal(second.json.maxActiveSessionsPerUser, null, 'null removes');
    assert.equal(second.json.monthlyBudgetUsdPerUser, '50', 'omitted stays');
    assert.equal((await admin.put('/v1/limits', { maxActiveSessionsPerUser: -1, bogus: 1 })).status, 400);
    assert.equal((await sb.as(tenant.keys.app.key, { 'x-end-user': 'u' }).get('/v1/limits')).status, 403);
    const changes = await auditor.get('/v1/audit/events?type=limits.changed');
    assert.equal(changes.json.data.length, 2);
  });

  test('per-user override and the effective policy with usage', async () => {
    const { admin, user, create } = await tenantWithAgent();
    await admin.put('/v1/limits', { maxActiveSessionsPerUser: 3, sessionCreatesPerMinutePerUser: 100 });
    const override = await admin.put('/v1/limits/users/vip', { maxActiveSessionsPerUser: 10 });
    assert.equal(override.status, 200);
    assert.equal(override.json.policy.maxActiveSessionsPerUser, 10);
    assert.deepEqual(override.json.overrides, ['maxActiveSessionsPerUser']);
    await create(user('vip'));
    const effective = await admin.get('/v1/limits/users/vip');
    assert.equal(effective.json.usage.activeSessions, 1);
    assert.equal(effective.json.usage.sessionCreatesThisMinute, 1);
    const removed = await admin.delete('/v1/limits/users/vip');
    assert.equal(removed.json.policy.maxActiveSessionsPerUser, 3);
  });

  test('maxActiveSessionsPerUser: 429 limit_exceeded naming the limit, audited; ending a session frees a slot', async () => {
    const { admin, user, create, auditor } = await tenantWithAgent();
    await admin.put('/v1/limits', { maxActiveSessionsPerUser: 2 });
    const alice = user('alice');
    const first = await create(alice);
    await create(alice);
    const third = await create(alice);
    assert.equal(third.status, 429);
    assert.equal(third.json.code, 'limit_exceeded');
    assert.equal(third.json.limit, 'maxActiveSessionsPerUser');
    assert.match(third.json.detail, /2 of 2/);
    assert.equal((await create(user('bob'))).status, 201, 'other users are not affected');
    const denied = await auditor.get('/v1/audit/events?type=limit.denied');
    assert.equal(denied.json.data[0].user, 'alice');
    assert.equal(denied.json.data[0].detail.limit, 'maxActiveSessionsPerUser');
    await alice.delete(`/v1/sessions/${first.json.id}`);
    assert.equal((await create(alice)).status, 201);
  });

  test('maxActiveSessionsPerTenant counts every user', async () => {
    const { admin, user, create } = await tenantWithAgent();
    await admin.put('/v1/limits', { maxActiveSessionsPerTenant: 3 });
    for (const name of ['a', 'b', 'c']) assert.equal((await create(user(name))).status, 201);
    const fourth = await create(user('d'));
    assert.equal(fourth.status, 429);
    assert.equal(fourth.json.limit, 'maxActiveSessionsPerTenant');
  });

  test('rates: session creates and turns per minute answer 429 rate_limited with Retry-After', async () => {
    const { admin, user, create } = await tenantWithAgent();
    await admin.put('/v1/limits', { sessionCreatesPerMinutePerUser: 2, turnsPerMinutePerUser: 2 });
    // Rate windows are calendar minutes (date_trunc('minute', now())): the creates and turns below must fall in one,
    // so they start with at least 10 s of the minute left (CI once saw the third create land in the next minute's window).
    const leftInMinuteMs = 60_000 - (Date.now() % 60_000);
    if (leftInMinuteMs < 10_000) await new Promise((resolve) => setTimeout(resolve, leftInMinuteMs + 100));
    const carol = user('carol');
    const session = await create(carol);
    await create(carol);
    const limited = await create(carol);
    assert.equal(limited.status, 429);
    assert.equal(limited.json.code, 'rate_limited');
    const retryAfter = Number(limited.headers.get('retry-after'));
    assert.ok(retryAfter >= 1 && retryAfter <= 60);
    assert.equal((await carol.post(`/v1/sessions/${session.json.id}/turns`, { input: 'one' })).status, 200);
    assert.equal((await carol.post(`/v1/sessions/${session.json.id}/turns`, { input: 'two' })).status, 200);
    const third = await carol.post(`/v1/sessions/${session.json.id}/turns`, { input: 'three' });
    assert.equal(third.status, 429);
    assert.equal(third.json.limit, 'turnsPerMinutePerUser');
    assert.equal((await carol.post(`/v1/sessions/${session.json.id}/turns`, { input: 'four' })).status, 429, 'the refused turn left the session claimable, and still limited');
  });

  test('requiredIsolation: runtimes below it are refused with 403 isolation_policy', async () => {
    const { admin, user, create } = await tenantWithAgent();
    const providers = await admin.get('/v1/providers');
    const isolation = Object.fromEntries(providers.json.data.map((provider: { id: string; isolation: string }) => [provider.id, provider.isolation]));
    assert.deepEqual(isolation, { claude: 'sandbox', agentcore: 'microvm', foundry: 'vm', vertex: 'shared' });
    await admin.put('/v1/limits', { requiredIsolation: 'vm' });
    const dave = user('dave');
    for (const [provider, expected] of [['claude', 403], ['vertex', 403], ['foundry', 201], ['agentcore', 201]] as const) {
      const response = await create(dave, { provider });
      assert.equal(response.status, expected, `${provider}: ${response.text}`);
      if (expected === 403) assert.equal(response.json.code, 'isolation_policy');
    }
  });

  test('timeouts default to the tenant policy and are capped by it', async () => {
    const { admin, user, create } = await tenantWithAgent();
    await admin.put('/v1/limits', { idleTimeoutSeconds: 600, maxLifetimeSeconds: 3600 });
    const defaulted = await create(user('erin'));
    assert.equal(defaulted.json.idleTimeoutSeconds, 600);
    assert.equal(defaulted.json.maxLifetimeSeconds, 3600);
    const capped = await create(user('erin'), { idleTimeoutSeconds: 7200, maxLifetimeSeconds: 600 });
    assert.equal(capped.json.idleTimeoutSeconds, 600, 'capped by the policy');
    assert.equal(capped.json.maxLifetimeSeconds, 600, 'a shorter request is kept');
  });

  test('a budget that runs out mid-session ends the session with reason budget after its turn', async () => {
    const { admin, user, create } = await tenantWithAgent();
    // Room for the 0.0001 estimate, but less than a Claude turn really costs on the default price book
    // (its tokens alone: 48 input and 16 output at $3 and $15 per million = $0.000384).
    await admin.put('/v1/limits', { monthlyBudgetUsdPerUser: '0.0002' });
    const frank = user('frank');
    const session = (await create(frank)).json;
    const turn = await frank.post(`/v1/sessions/${session.id}/turns`, { input: 'spend it' });
    assert.equal(turn.status, 200, turn.text);
    const usage = (await admin.get('/v1/limits/users/frank')).json.usage;
    assert.ok(Number(usage.monthSpentUsd) > 0.0002, `spent ${usage.monthSpentUsd}`);
    assert.equal(usage.monthReservedUsd, '0', 'the reservation was settled');
    const after = await frank.get(`/v1/sessions/${session.id}`);
    assert.equal(after.json.status, 'terminated');
    assert.equal(after.json.terminationReason, 'budget');
    const late = await frank.post(`/v1/sessions/${session.id}/turns`, { input: 'more' });
    assert.equal(late.status, 410);
    assert.equal(late.json.terminationReason, 'budget');
    const next = await create(frank);
    const refused = await frank.post(`/v1/sessions/${next.json.id}/turns`, { input: 'over budget' });
    assert.equal(refused.status, 429);
    assert.equal(refused.json.code, 'budget_exceeded');
  });

  test('budget race: 50 concurrent turns against a budget that fits 10 — at most 10 run', async () => {
    const { admin, user, create } = await tenantWithAgent();
    await admin.put('/v1/limits', { monthlyBudgetUsdPerTenant: '0.001' }); // 10 × the 0.0001 estimate
    const sessions = await Promise.all(Array.from({ length: 50 }, (_, index) => create(user(`racer-${index}`)).then((response) => ({ index, id: response.json.id as string }))));
    const results = await Promise.all(sessions.map(({ index, id }) => user(`racer-${index}`).post(`/v1/sessions/${id}/turns`, { input: 'go' })));
    const ran = results.filter((result) => result.status === 200).length;
    const refused = results.filter((result) => result.status === 429 && result.json.code === 'budget_exceeded').length;
    assert.equal(ran + refused, 50, `statuses: ${results.map((result) => result.status).join(',')}`);
    assert.ok(ran >= 1 && ran <= 10, `${ran} turns ran`);
    // The guaranteed bound: spend ≤ budget + Σ over the admitted turns of (their cost − the estimate).
    const costs = await Promise.all(sessions.map(({ index, id }) => user(`racer-${index}`).get(`/v1/sessions/${id}`).then((response) => Number(response.json.usage.costUsd))));
    const spent = costs.reduce((sum, cost) => sum + cost, 0);
    const estimateError = costs.filter((cost) => cost > 0).reduce((sum, cost) => sum + Math.max(0, cost - 0.0001), 0);
    assert.ok(spent <= 0.001 + estimateError + 1e-9, `spent ${spent} over budget 0.001 + estimate error ${estimateError}`);
    assert.equal(costs.filter((cost) => cost > 0).length, ran, 'only admitted turns cost anything');
  });
});
