import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTenantWithKeys, startTestBroker, uniqueName, type TestBroker } from '../support/test-broker.js';

/** A stand-in OTLP/HTTP collector on loopback that keeps every request body. */
async function startCollector(): Promise<{ url: string; bodies: string[]; close(): Promise<void> }> {
  const bodies: string[] = [];
  const server: Server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    request.on('end', () => {
      bodies.push(body);
      response.setHeader('content-type', 'application/json');
      response.end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces`,
    bodies,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

describe('OpenTelemetry tracing', () => {
  let collector: Awaited<ReturnType<typeof startCollector>>;
  let sb: TestBroker;
  const secret = 'my card number is 4111 1111 1111 1111';

  before(async () => {
    collector = await startCollector();
    sb = await startTestBroker({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: collector.url });
  });
  after(() => collector.close());

  test('turns and provider calls are spans with ids, never message content', async () => {
    const tenant = await createTenantWithKeys(sb, ['app', 'admin']);
    const agentName = uniqueName('agent');
    await sb.as(tenant.keys.admin.key).post('/v1/agents', { name: agentName, defaultProvider: 'claude', targets: { claude: sb.broker.runtimes.demoTargets().claude } });
    const app = sb.as(tenant.keys.app.key, { 'x-end-user': 'traced-user' });
    const session = (await app.post('/v1/sessions', { agent: agentName })).json;
    assert.equal((await app.post(`/v1/sessions/${session.id}/turns`, { input: secret })).status, 200);
    assert.equal((await app.delete(`/v1/sessions/${session.id}`)).status, 200);
    await sb.close(); // flushes the batch processor

    const exported = collector.bodies.join('\n');
    assert.ok(exported.length > 0, 'spans were exported');
    // (Not a bare '4111': span ids and nanosecond timestamps contain such digit runs by chance.)
    for (const fragment of ['card number', '4111 1111']) assert.ok(!exported.includes(fragment), `no message content in spans (${fragment})`);
    const spans = collector.bodies
      .flatMap((body) => (JSON.parse(body) as { resourceSpans: Array<{ scopeSpans: Array<{ spans: Array<{ name: string; attributes: Array<{ key: string; value: { stringValue?: string } }> }> }> }> }).resourceSpans)
      .flatMap((resource) => resource.scopeSpans.flatMap((scope) => scope.spans));
    const attributes = (name: string) => {
      const span = spans.find((candidate) => candidate.name === name);
      assert.ok(span, `a ${name} span; got ${spans.map((candidate) => candidate.name).join(', ')}`);
      return Object.fromEntries(span.attributes.map((attribute) => [attribute.key, attribute.value.stringValue]));
    };
    const turn = attributes('turn');
    assert.equal(turn['switchboard.tenant'], tenant.tenantId);
    assert.equal(turn['switchboard.session'], session.id);
    assert.equal(turn['switchboard.provider'], 'claude');
    assert.equal(turn['switchboard.provider_session'], session.providerSession.id);
    assert.equal(attributes('provider.openSession')['switchboard.session'], session.id);
    assert.equal(attributes('provider.stopSession')['switchboard.provider_session'], session.providerSession.id);
  });
});
