import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { prometheusSample } from '../support/prometheus.js';
import { createTenantWithKeys, startTestBroker, uniqueName, type TestBroker } from '../support/test-broker.js';

describe('Prometheus metrics', () => {
  let sb: TestBroker;
  before(async () => {
    sb = await startTestBroker({ PROVIDER_RETRY_BASE_MS: '5' });
  });
  after(() => sb.close());

  test('requests, live sessions, turn latency, time to first event, the broker\'s own part of a turn and provider errors', async () => {
    const tenant = await createTenantWithKeys(sb, ['app', 'admin']);
    const agentName = uniqueName('agent');
    await sb.as(tenant.keys.admin.key).post('/v1/agents', { name: agentName, defaultProvider: 'claude', targets: { claude: sb.broker.runtimes.demoTargets().claude } });
    const app = sb.as(tenant.keys.app.key, { 'x-end-user': 'metered' });
    const session = (await app.post('/v1/sessions', { agent: agentName })).json;
    assert.equal((await app.post(`/v1/sessions/${session.id}/turns`, { input: 'hello' })).status, 200);
    const emulator = sb.broker.runtimes.emulator<{ faults: { add(op: string, fault: object): void } }>('claude')!;
    emulator.faults.add('events.send', { kind: 'status', status: 429, times: 3, headers: { 'retry-after': '0' } });
    assert.equal((await app.post(`/v1/sessions/${session.id}/turns`, { input: 'throttled' })).status, 503);

    const metrics = await sb.anonymous.get('/metrics');
    assert.equal(metrics.status, 200);
    assert.match(metrics.headers.get('content-type') ?? '', /^text\/plain/);
    assert.ok((prometheusSample(metrics.text, 'switchboard_http_requests_total', { route: '/v1/sessions/:id/turns', status: '200' }) ?? 0) >= 1);
    assert.ok((prometheusSample(metrics.text, 'switchboard_live_sessions', { provider: 'claude', status: 'idle' }) ?? 0) >= 1);
    assert.ok((prometheusSample(metrics.text, 'switchboard_turn_duration_seconds_count', { provider: 'claude', outcome: 'completed' }) ?? 0) >= 1);
    assert.ok((prometheusSample(metrics.text, 'switchboard_turn_time_to_first_event_seconds_count', { provider: 'claude' }) ?? 0) >= 1);
    assert.equal(prometheusSample(metrics.text, 'switchboard_provider_errors_total', { provider: 'claude', code: 'throttled' }), 3);
    // Both turns were claimed and recorded (the throttled one as failed, after its retries).
    assert.equal(prometheusSample(metrics.text, 'switchboard_turn_broker_seconds_count', { provider: 'claude', phase: 'claim' }), 2);
    assert.equal(prometheusSample(metrics.text, 'switchboard_turn_broker_seconds_count', { provider: 'claude', phase: 'record' }), 2);
    assert.ok((prometheusSample(metrics.text, 'switchboard_turn_broker_seconds_sum', { provider: 'claude', phase: 'record' }) ?? 0) > 0);
  });
});
