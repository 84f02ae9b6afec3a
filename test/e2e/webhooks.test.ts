import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createTenantWithKeys, startTestBroker, uniqueName, type TestBroker } from '../support/test-broker.js';
import { WebhookReceiver } from '../support/webhook-receiver.js';
import { prometheusSample } from '../support/prometheus.js';

/**
 * Signed webhooks (API.md §9, issue 21) against a real broker and a real
 * receiver that verifies every Standard Webhooks signature on its own.
 * Retries are fast here (50 ms base) and the retry window short (3 s), so
 * giving up and disabling a webhook happens within a test.
 */
describe('webhooks (API.md §9)', () => {
  let sb: TestBroker;
  let receiver: WebhookReceiver;
  before(async () => {
    receiver = await new WebhookReceiver().start();
    sb = await startTestBroker({
      SWITCHBOARD_WEBHOOKS_ALLOW_PRIVATE_TARGETS: 'true',
      SWITCHBOARD_WEBHOOKS_RETRY_BASE_MS: '50',
      SWITCHBOARD_WEBHOOKS_RETRY_WINDOW_SECONDS: '3',
      SWITCHBOARD_WEBHOOKS_POLL_MS: '50',
      SWITCHBOARD_WEBHOOKS_TIMEOUT_MS: '2000',
      TURN_COST_ESTIMATE_USD: '0.0001',
    });
  });
  after(async () => {
    await sb.close();
    await receiver.stop();
  });

  /** A tenant, its admin client, and a webhook on its own receiver path (secret registered with the receiver). */
  async function tenantWithWebhook(body: Record<string, unknown> = {}) {
    const tenant = await createTenantWithKeys(sb, ['admin', 'app', 'auditor']);
    const admin = sb.as(tenant.keys.admin.key);
    const name = uniqueName('hook');
    const created = await admin.post('/v1/webhooks', { url: receiver.hookUrl(name), events: ['audit.*'], ...body });
    assert.equal(created.status, 201, created.text);
    receiver.setSecret(name, created.json.secret);
    return { tenant, admin, name, webhook: created.json, hook: () => receiver.at(name) };
  }

  /** Waits until the broker has settled every delivery of a webhook (the receiver sees a request before the broker records its answer). */
  const settled = async (admin: ReturnType<TestBroker['as']>, webhookId: string) => {
    for (const deadline = Date.now() + 10_000; Date.now() < deadline; await new Promise((resolve) => setTimeout(resolve, 50))) {
      if ((await admin.get(`/v1/webhooks/${webhookId}/deliveries?status=pending`)).json.data.length === 0) return;
    }
    throw new Error(`deliveries of ${webhookId} still pending`);
  };

  /**
   * What one Claude turn ('spend', the first of its session) costs now, run in a tenant of its own. On
   * PostgreSQL every test file shares one price book, which the cost tests change: budgets are set
   * against this figure, never against the default prices.
   */
  const costOfOneTurn = async (): Promise<number> => {
    const probe = await createTenantWithKeys(sb, ['admin', 'app']);
    const agentName = uniqueName('agent');
    assert.equal((await sb.as(probe.keys.admin.key).post('/v1/agents', { name: agentName, defaultProvider: 'claude', targets: sb.broker.runtimes.demoTargets() })).status, 201);
    const user = sb.as(probe.keys.app.key, { 'x-end-user': 'probe' });
    const session = (await user.post('/v1/sessions', { agent: agentName })).json;
    assert.equal((await user.post(`/v1/sessions/${session.id}/turns`, { input: 'spend' })).status, 200);
    const cost = Number((await user.get(`/v1/sessions/${session.id}`)).json.usage.costUsd);
    assert.ok(cost > 0, `a turn costs ${cost}`);
    return cost;
  };
  /** A budget (USD, as the API takes it) that one turn of `cost` spends `percent` % of. */
  const budgetFor = (cost: number, percent: number) => (cost / (percent / 100)).toFixed(6);

  /** An audit event of the tenant's own making: a limits change (each carries a distinct marker). */
  const changeLimits = async (admin: ReturnType<TestBroker['as']>, marker: number) => {
    const changed = await admin.put('/v1/limits', { maxActiveSessionsPerUser: marker });
    assert.equal(changed.status, 200, changed.text);
  };

  test('create shows the whsec_ secret once; list, get, patch and delete never show it; only admins', async () => {
    const { admin, webhook, tenant } = await tenantWithWebhook({ description: 'SOC', format: 'json' });
    assert.match(webhook.id, /^whk_/);
    assert.match(webhook.secret, /^whsec_[A-Za-z0-9+/]{43}=$/);
    assert.equal(Buffer.from(webhook.secret.slice(6), 'base64').length, 32);
    assert.equal(webhook.status, 'active');
    const listed = await admin.get('/v1/webhooks');
    assert.equal(listed.status, 200);
    assert.deepEqual(listed.json.data.map((entry: { id: string }) => entry.id), [webhook.id]);
    assert.ok(!listed.text.includes(webhook.secret.slice(6)), 'no secret in the list');
    const fetched = await admin.get(`/v1/webhooks/${webhook.id}`);
    assert.equal(fetched.json.secret, undefined);
    const paused = await admin.patch(`/v1/webhooks/${webhook.id}`, { status: 'paused', events: ['audit.limits.changed', 'budget.*'] });
    assert.equal(paused.status, 200, paused.text);
    assert.equal(paused.json.status, 'paused');
    assert.deepEqual(paused.json.events, ['audit.limits.changed', 'budget.*']);
    assert.equal(paused.json.description, 'SOC', 'omitted fields stay');
    // Stored sealed: the secret's key bytes appear nowhere in the row.
    const [row] = await sb.broker.database.database.inPlatform((tx) => tx.rows<Record<string, unknown>>(`SELECT * FROM webhooks WHERE id = $1`, [webhook.id]));
    assert.ok(!JSON.stringify(row).includes(webhook.secret.slice(6)), 'the secret is stored encrypted');
    // Other roles and other tenants.
    assert.equal((await sb.as(tenant.keys.app.key, { 'x-end-user': 'u' }).get('/v1/webhooks')).status, 403);
    assert.equal((await sb.as(tenant.keys.auditor.key).get('/v1/webhooks')).status, 403);
    const other = await createTenantWithKeys(sb, ['admin']);
    assert.equal((await sb.as(other.keys.admin.key).get(`/v1/webhooks/${webhook.id}`)).status, 404);
    assert.equal((await sb.as(other.keys.admin.key).delete(`/v1/webhooks/${webhook.id}`)).status, 404);
    // Bad bodies.
    const bad = await admin.post('/v1/webhooks', { url: 'ftp://x', events: ['nothing.here'] });
    assert.equal(bad.status, 400);
    assert.deepEqual(bad.json.errors.map((entry: { path: string }) => entry.path).sort(), ['body.events.0']);
    const badUrl = await admin.post('/v1/webhooks', { url: 'ftp://x', events: ['*'] });
    assert.equal(badUrl.status, 400);
    assert.equal(badUrl.json.errors[0].path, 'body.url');
    assert.equal((await admin.delete(`/v1/webhooks/${webhook.id}`)).status, 204);
    assert.equal((await admin.get(`/v1/webhooks/${webhook.id}`)).status, 404);
    const audit = await sb.as(tenant.keys.auditor.key).get('/v1/audit/events?type=webhook.changed');
    assert.deepEqual(audit.json.data.map((event: { detail: { action: string } }) => event.detail.action), ['created', 'updated', 'deleted']);
  });

  test('audit events arrive signed, in order, as the API shows them; each tenant only its own', async () => {
    const first = await tenantWithWebhook();
    const second = await tenantWithWebhook();
    for (let marker = 1; marker <= 5; marker++) {
      await changeLimits(first.admin, marker);
      await changeLimits(second.admin, 100 + marker);
    }
    const limitChanges = (hook: typeof first) => hook.hook().filter((entry) => entry.body.type === 'audit.limits.changed');
    await receiver.until(() => limitChanges(first).length === 5 && limitChanges(second).length === 5);
    for (const [hook, tenant, base] of [[first, first.tenant, 0], [second, second.tenant, 100]] as const) {
      const received = hook.hook();
      assert.ok(received.every((entry) => entry.signatureValid), 'every signature verifies');
      assert.ok(received.every((entry) => entry.body.data.tenant === tenant.tenantId), 'only its own tenant');
      assert.ok(!received.some((entry) => entry.raw.includes(tenant === first.tenant ? second.tenant.tenantId : first.tenant.tenantId)), 'no other tenant id anywhere');
      const seqs = received.map((entry) => entry.body.data.seq);
      assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b), 'in audit order');
      assert.deepEqual(limitChanges(hook).map((entry) => entry.body.data.detail.changes.maxActiveSessionsPerUser), [1, 2, 3, 4, 5].map((value) => value + base));
      assert.equal(new Set(received.map((entry) => entry.id)).size, received.length, 'one webhook-id per event');
      assert.ok(received.every((entry) => /^msg_/.test(entry.id) && Math.abs(entry.timestamp - Date.now() / 1000) < 60));
      // The record is the one GET /v1/audit/events shows.
      const listed = await sb.as(tenant.keys.auditor.key).get(`/v1/audit/events?type=limits.changed`);
      assert.deepEqual(limitChanges(hook).map((entry) => entry.body.data), listed.json.data);
    }
    // Deliveries are listed with their attempts and answers.
    await settled(first.admin, first.webhook.id);
    const deliveries = await first.admin.get(`/v1/webhooks/${first.webhook.id}/deliveries?status=delivered&limit=2`);
    assert.equal(deliveries.status, 200, deliveries.text);
    assert.equal(deliveries.json.data.length, 2);
    assert.ok(deliveries.json.nextCursor);
    const [latest] = deliveries.json.data;
    assert.equal(latest.status, 'delivered');
    assert.equal(latest.attempts, 1);
    assert.equal(latest.lastStatus, 200);
    assert.equal(latest.lastAnswer, 'ok');
    assert.equal(latest.attemptLog.length, 1);
    const next = await first.admin.get(`/v1/webhooks/${first.webhook.id}/deliveries?status=delivered&limit=2&cursor=${deliveries.json.nextCursor}`);
    assert.equal(next.json.data.length, 2);
    assert.notEqual(next.json.data[0].id, latest.id);
  });

  test('event filters: an exact type, a wildcard, the plain session.terminated', async () => {
    const exact = await tenantWithWebhook({ events: ['audit.webhook.changed'] });
    const agentName = uniqueName('agent');
    const agent = await exact.admin.post('/v1/agents', { name: agentName, defaultProvider: 'claude', targets: sb.broker.runtimes.demoTargets() });
    assert.equal(agent.status, 201, agent.text);
    const terminated = await exact.admin.post('/v1/webhooks', { url: receiver.hookUrl(`${exact.name}-ended`), events: ['session.terminated'] });
    receiver.setSecret(`${exact.name}-ended`, terminated.json.secret);
    await changeLimits(exact.admin, 7);
    const user = sb.as(exact.tenant.keys.app.key, { 'x-end-user': 'u-1' });
    const session = await user.post('/v1/sessions', { agent: agentName });
    assert.equal(session.status, 201, session.text);
    assert.equal((await user.delete(`/v1/sessions/${session.json.id}`)).status, 200);
    await receiver.until(() => receiver.at(`${exact.name}-ended`).length === 1);
    const ended = receiver.at(`${exact.name}-ended`)[0];
    assert.equal(ended.body.type, 'session.terminated');
    assert.equal(ended.body.data.session, session.json.id);
    assert.ok(ended.signatureValid);
    // The exact filter saw only webhook changes (the second webhook's creation), nothing of limits, agents or sessions.
    await receiver.until(() => exact.hook().length >= 1);
    assert.deepEqual([...new Set(exact.hook().map((entry) => entry.body.type))], ['audit.webhook.changed']);
  });

  test('OCSF format sends audit records as OCSF API Activity', async () => {
    const { admin, hook } = await tenantWithWebhook({ format: 'ocsf', events: ['audit.limits.changed'] });
    await changeLimits(admin, 3);
    await receiver.until(() => hook().length === 1);
    const [record] = hook();
    assert.ok(record.signatureValid);
    assert.equal(record.body.class_uid, 6003);
    assert.equal(record.body.activity_name, 'Update');
  });

  test('a failing receiver is retried in order; a receiver that never recovers disables the webhook, audited and announced', async () => {
    const flaky = await tenantWithWebhook({ events: ['audit.limits.changed'] });
    const watcher = await flaky.admin.post('/v1/webhooks', { url: receiver.hookUrl(`${flaky.name}-watch`), events: ['webhook.disabled'] });
    receiver.setSecret(`${flaky.name}-watch`, watcher.json.secret);
    let refusing = true;
    const previous = receiver.answer;
    receiver.answer = (request, attempt) => (request.path === `/hook/${flaky.name}` ? (refusing ? 503 : attempt <= 2 ? 500 : 200) : 200);
    try {
      refusing = false;
      await changeLimits(flaky.admin, 1);
      await changeLimits(flaky.admin, 2);
      await receiver.until(() => flaky.hook().length === 2);
      assert.deepEqual(flaky.hook().map((entry) => entry.body.data.detail.changes.maxActiveSessionsPerUser), [1, 2], 'the second waited for the first');
      const attempts = receiver.attempts.filter((entry) => entry.path === `/hook/${flaky.name}`);
      assert.equal(attempts.length, 6, 'two failures then a success, each');
      assert.equal(attempts[0].id, attempts[2].id, 'a retry keeps its webhook-id');
      await settled(flaky.admin, flaky.webhook.id);
      const [second, first] = (await flaky.admin.get(`/v1/webhooks/${flaky.webhook.id}/deliveries`)).json.data;
      assert.equal(first.attempts, 3);
      assert.deepEqual(first.attemptLog.map((entry: { status: number }) => entry.status), [500, 500, 200]);
      assert.equal(second.status, 'delivered');

      // Now it refuses for good: the window (3 s) runs out and the webhook is disabled.
      refusing = true;
      await changeLimits(flaky.admin, 3);
      await receiver.until(() => receiver.at(`${flaky.name}-watch`).length === 1, 20_000, 'webhook.disabled');
      const announced = receiver.at(`${flaky.name}-watch`)[0];
      assert.equal(announced.body.type, 'webhook.disabled');
      assert.equal(announced.body.data.detail.webhookId, flaky.webhook.id);
      assert.equal(announced.body.data.detail.reason, 'retries_exhausted');
      const disabled = (await flaky.admin.get(`/v1/webhooks/${flaky.webhook.id}`)).json;
      assert.equal(disabled.status, 'disabled');
      assert.equal(disabled.disabledReason, 'retries_exhausted');
      const [failed] = (await flaky.admin.get(`/v1/webhooks/${flaky.webhook.id}/deliveries?status=failed`)).json.data;
      assert.equal(failed.lastStatus, 503);
      assert.ok(failed.attempts >= 3, `${failed.attempts} attempts`);
      const audited = await sb.as(flaky.tenant.keys.auditor.key).get('/v1/audit/events?type=webhook.disabled');
      assert.equal(audited.json.data.length, 1);
      assert.equal(audited.json.data[0].actor.kind, 'system');

      // Resumed and retried by hand: the failed delivery goes out, then what queued meanwhile.
      refusing = false;
      await changeLimits(flaky.admin, 4); // queued while disabled? No: a disabled webhook queues nothing
      assert.equal((await flaky.admin.patch(`/v1/webhooks/${flaky.webhook.id}`, { status: 'active' })).json.status, 'active');
      const retried = await flaky.admin.post(`/v1/webhooks/${flaky.webhook.id}/deliveries/${failed.id}/retry`);
      assert.equal(retried.status, 202, retried.text);
      await receiver.until(() => flaky.hook().length === 3);
      assert.equal(flaky.hook()[2].body.data.detail.changes.maxActiveSessionsPerUser, 3);
      assert.equal(flaky.hook()[2].id, failed.id);
      await changeLimits(flaky.admin, 5);
      await receiver.until(() => flaky.hook().length === 4);
      assert.deepEqual(flaky.hook().map((entry) => entry.body.data.detail.changes.maxActiveSessionsPerUser), [1, 2, 3, 5], 'nothing was queued while disabled');
      const metrics = await sb.anonymous.get('/metrics');
      assert.ok((prometheusSample(metrics.text, 'switchboard_webhook_deliveries_total', { outcome: 'failed' }) ?? 0) >= 1);
      assert.ok((prometheusSample(metrics.text, 'switchboard_webhook_deliveries_total', { outcome: 'retried' }) ?? 0) >= 4);
    } finally {
      receiver.answer = previous;
    }
  });

  test('POST /test sends a webhook.test event to that webhook alone, even one filtering other events', async () => {
    const { admin, webhook, hook, tenant } = await tenantWithWebhook({ events: ['budget.threshold_crossed'] });
    const queued = await admin.post(`/v1/webhooks/${webhook.id}/test`);
    assert.equal(queued.status, 202, queued.text);
    assert.match(queued.json.id, /^msg_/);
    await receiver.until(() => hook().length === 1);
    const [received] = hook();
    assert.ok(received.signatureValid);
    assert.equal(received.id, queued.json.id);
    assert.equal(received.body.type, 'webhook.test');
    assert.equal(received.body.data.tenant, tenant.tenantId);
  });

  test('budget alerts: a turn that jumps two thresholds announces both; each crossing once per month', async () => {
    const { admin, hook, tenant } = await tenantWithWebhook({ events: ['budget.threshold_crossed'] });
    const agentName = uniqueName('agent');
    assert.equal((await admin.post('/v1/agents', { name: agentName, defaultProvider: 'claude', targets: sb.broker.runtimes.demoTargets() })).status, 201);
    // The user's first turn spends 2.5 % of the user's budget: it crosses 1 % and 2 % at once; against the
    // tenant's budget each turn spends 1.5 %: 1 % in the first turn, 2 % in the second.
    const cost = await costOfOneTurn();
    const userBudget = budgetFor(cost, 2.5);
    const limits = await admin.put('/v1/limits', { monthlyBudgetUsdPerUser: userBudget, monthlyBudgetUsdPerTenant: budgetFor(cost, 1.5), budgetAlertThresholds: [1, 2, 90] });
    assert.equal(limits.status, 200, limits.text);
    assert.deepEqual(limits.json.budgetAlertThresholds, [1, 2, 90]);
    const user = sb.as(tenant.keys.app.key, { 'x-end-user': 'spender' });
    const session = (await user.post('/v1/sessions', { agent: agentName })).json;
    for (let turn = 0; turn < 3; turn++) {
      const ran = await user.post(`/v1/sessions/${session.id}/turns`, { input: 'spend' });
      assert.equal(ran.status, 200, ran.text);
      if (turn === 0) {
        const spent = Number((await user.get(`/v1/sessions/${session.id}`)).json.usage.costUsd);
        assert.ok(Math.abs(spent - cost) / cost < 0.1, `the first turn cost ${spent}, the probe ${cost}: the thresholds assume the same`);
      }
    }
    await receiver.until(() => hook().length >= 4);
    // A moment for anything wrongly announced twice to arrive as well.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const alerts = hook().map((entry) => entry.body.data);
    assert.ok(hook().every((entry) => entry.signatureValid && entry.body.type === 'budget.threshold_crossed'));
    assert.deepEqual(alerts.map((alert) => `${alert.scope}:${alert.threshold}`).sort(), ['tenant:1', 'tenant:2', 'user:1', 'user:2']);
    const user1 = alerts.find((alert) => alert.scope === 'user' && alert.threshold === 1);
    assert.equal(user1.user, 'spender');
    assert.equal(user1.tenant, tenant.tenantId);
    assert.equal(Number(user1.budgetUsd), Number(userBudget));
    assert.ok(Number(user1.spentUsd) >= Number(userBudget) * 0.02, user1.spentUsd);
    assert.match(user1.period, /^\d{4}-\d{2}$/);
    assert.equal(alerts.find((alert) => alert.scope === 'tenant' && alert.threshold === 1).user, null);
  });

  test('budget alerts under concurrent turns: each threshold announced exactly once', async () => {
    const { admin, hook, tenant } = await tenantWithWebhook({ events: ['budget.*'] });
    const agentName = uniqueName('agent');
    assert.equal((await admin.post('/v1/agents', { name: agentName, defaultProvider: 'claude', targets: sb.broker.runtimes.demoTargets() })).status, 201);
    // 12 turns of 3.84 % each: about 46 %; thresholds every 5 % up to 40 % are each crossed by one of them.
    const budget = budgetFor(await costOfOneTurn(), 3.84);
    assert.equal((await admin.put('/v1/limits', { monthlyBudgetUsdPerTenant: budget, budgetAlertThresholds: [5, 10, 15, 20, 25, 30, 35, 40] })).status, 200);
    const users = Array.from({ length: 12 }, (_, index) => sb.as(tenant.keys.app.key, { 'x-end-user': `racer-${index}` }));
    const sessions = await Promise.all(users.map((user) => user.post('/v1/sessions', { agent: agentName }).then((response) => response.json.id as string)));
    const turns = await Promise.all(users.map((user, index) => user.post(`/v1/sessions/${sessions[index]}/turns`, { input: 'spend' })));
    assert.deepEqual(turns.map((turn) => turn.status), users.map(() => 200));
    const costs = await Promise.all(users.map((user, index) => user.get(`/v1/sessions/${sessions[index]}`).then((response) => Number(response.json.usage.costUsd))));
    const spent = costs.reduce((sum, cost) => sum + cost, 0);
    const expected = [5, 10, 15, 20, 25, 30, 35, 40].filter((threshold) => spent >= (Number(budget) * threshold) / 100);
    assert.ok(expected.length >= 4, `spent ${spent}`);
    await receiver.until(() => hook().length >= expected.length);
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.deepEqual(hook().map((entry) => entry.body.data.threshold).sort((a, b) => a - b), expected);
  });
});

describe('webhook targets (issue 21 item 5: SSRF)', () => {
  let sb: TestBroker;
  before(async () => {
    sb = await startTestBroker();
  });
  after(() => sb.close());

  test('loopback, private and link-local targets are refused at create and update, literal or by name', async () => {
    const tenant = await createTenantWithKeys(sb, ['admin']);
    const admin = sb.as(tenant.keys.admin.key);
    for (const url of [
      'https://127.0.0.1/hook',
      'https://10.1.2.3/hook',
      'https://169.254.169.254/latest/meta-data',
      'https://[::1]/hook',
      'https://[::ffff:127.0.0.1]/hook',
      'https://192.168.1.1/hook',
      'https://172.16.0.1/hook',
      'https://[fe80::1]/hook',
      'https://localhost/hook',
      'https://0.0.0.0/hook',
    ]) {
      const refused = await admin.post('/v1/webhooks', { url, events: ['*'] });
      assert.equal(refused.status, 400, `${url}: ${refused.text}`);
      assert.equal(refused.headers.get('content-type')?.split(';')[0], 'application/problem+json');
      assert.equal(refused.json.code, 'invalid_request');
      assert.equal(refused.json.errors[0].path, 'body.url');
      assert.match(refused.json.errors[0].message, /loopback, private or link-local/);
    }
    const plain = await admin.post('/v1/webhooks', { url: 'http://93.184.215.14/hook', events: ['*'] });
    assert.equal(plain.status, 400, 'plain http is refused');
    // Subscribed to an event this test never causes, so nothing is sent to it.
    const publicTarget = await admin.post('/v1/webhooks', { url: 'https://93.184.215.14/hook', events: ['budget.threshold_crossed'] });
    assert.equal(publicTarget.status, 201, publicTarget.text);
    const moved = await admin.patch(`/v1/webhooks/${publicTarget.json.id}`, { url: 'https://169.254.169.254/' });
    assert.equal(moved.status, 400);
    assert.equal(moved.json.errors[0].path, 'body.url');
  });
});
