import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { emulatedSdkDefaultDeadlineMs, turnStreamCallOptions, VertexClients, type VertexEmulator, type VertexTarget } from '#providers/vertex';
import { createTenantWithKeys, startTestBroker, uniqueName, type TestBroker } from '../support/test-broker.js';
import type { HttpClient } from '../support/http-client.js';

/** Long enough that the SDK's (compressed) default deadline would cut a turn; short enough for a test. */
const turnTimeoutMs = 15_000;

/** The Vertex issue's acceptance tests, through the broker over real HTTP to the in-process gRPC emulator. */
describe('vertex acceptance', () => {
  let sb: TestBroker;
  let emulator: VertexEmulator;
  let target: VertexTarget;

  before(async () => {
    sb = await startTestBroker({ TURN_TIMEOUT_MS: String(turnTimeoutMs), PROVIDER_RETRY_BASE_MS: '10', PROVIDER_MAX_RETRIES: '1' });
    emulator = sb.broker.runtimes.emulator<VertexEmulator>('vertex')!;
    target = sb.broker.runtimes.demoTargets().vertex as VertexTarget;
  });
  after(() => sb.close());

  /** A fresh tenant with a Vertex agent on the demo engine, acting as end user `user`. */
  const tenantUser = async (user: string) => {
    const tenant = await createTenantWithKeys(sb, ['app', 'admin']);
    const agent = uniqueName('agent');
    const created = await sb.as(tenant.keys.admin.key).post('/v1/agents', { name: agent, defaultProvider: 'vertex', targets: { vertex: target } });
    assert.equal(created.status, 201, created.text);
    return { tenantId: tenant.tenantId, agent, app: sb.as(tenant.keys.app.key, { 'x-end-user': user }) };
  };
  const openSession = async (app: HttpClient, agent: string) => {
    const created = await app.post('/v1/sessions', { agent, provider: 'vertex' });
    assert.equal(created.status, 201, created.text);
    return created.json as { id: string; providerSession: { id: string } };
  };

  test('RESOURCE_EXHAUSTED before response metadata is never replayed by the SDK: the agent runs the turn at most once', async () => {
    const { app, agent } = await tenantUser('replay-user');
    const session = await openSession(app, agent);
    const sent = () => emulator.stats.get('engine.streamQuery');
    const ran = () => emulator.stats.get('turns.run');

    // Both broker attempts (PROVIDER_MAX_RETRIES=1) refused: each reached the service exactly once, nothing ran.
    let before = { sent: sent(), ran: ran() };
    emulator.faults.add('engine.streamQuery', { kind: 'status', status: 429, times: 2 });
    const refused = await app.post(`/v1/sessions/${session.id}/turns`, { input: 'refused twice' });
    assert.equal(refused.status, 503, refused.text);
    assert.equal(sent() - before.sent, 2, 'one request per broker attempt, no silent re-send');
    assert.equal(ran() - before.ran, 0);

    // One refusal: the broker (not the SDK) retries, and the agent runs the turn once.
    before = { sent: sent(), ran: ran() };
    emulator.faults.add('engine.streamQuery', { kind: 'status', status: 429 });
    const retried = await app.post(`/v1/sessions/${session.id}/turns`, { input: 'refused once' });
    assert.equal(retried.status, 200, retried.text);
    assert.equal(sent() - before.sent, 2);
    assert.equal(ran() - before.ran, 1);
  });

  test('a turn longer than the SDK default deadline completes: its deadline comes from TURN_TIMEOUT_MS', async () => {
    const { app, agent } = await tenantUser('slow-user');
    const session = await openSession(app, agent);
    const turnMs = emulatedSdkDefaultDeadlineMs + 2_000;

    // The control: with the runtime's client setup and no per-call timeout, the same turn dies at the default deadline.
    const clients = new VertexClients({ endpoint: { kind: 'emulator', host: emulator.host, port: emulator.port }, sdkDefaultDeadlineMs: emulatedSdkDefaultDeadlineMs });
    try {
      emulator.faults.add('engine.streamQuery', { kind: 'delay', ms: turnMs });
      const stream = clients.forLocation('us-central1').executions.streamQueryReasoningEngine(
        { name: target.reasoningEngine, classMethod: 'async_stream_query', input: { fields: { user_id: { stringValue: 'control' }, message: { stringValue: 'hi' } } } },
        turnStreamCallOptions,
      );
      const code = await new Promise<number | undefined>((resolve) => {
        stream.on('data', () => undefined);
        stream.on('error', (error: { code?: number }) => resolve(error.code));
        stream.on('end', () => resolve(undefined));
      });
      assert.equal(code, GrpcStatus.DEADLINE_EXCEEDED, 'the compressed default deadline applies to a call without a timeout');
    } finally {
      await clients.close();
    }

    emulator.faults.add('engine.streamQuery', { kind: 'delay', ms: turnMs });
    const turn = await app.post(`/v1/sessions/${session.id}/turns`, { input: 'take your time' });
    assert.equal(turn.status, 200, turn.text);
    assert.equal(turn.json.turn.status, 'completed');
    assert.ok(turn.json.turn.durationMs >= turnMs, `the turn lasted ${turn.json.turn.durationMs} ms`);
    assert.match(turn.json.turn.output.map((part: { text: string }) => part.text).join(''), /take your time/);
  });

  test('two tenants’ users named alice on one engine are distinct Vertex users and cannot reach each other’s sessions', async () => {
    const first = await tenantUser('alice');
    const second = await tenantUser('alice');
    const firstSession = await openSession(first.app, first.agent);
    const secondSession = await openSession(second.app, second.agent);

    const firstAtVertex = emulator.findSession(firstSession.providerSession.id);
    const secondAtVertex = emulator.findSession(secondSession.providerSession.id);
    assert.ok(firstAtVertex && secondAtVertex);
    assert.notEqual(firstAtVertex.userId, secondAtVertex.userId);
    assert.ok(firstAtVertex.userId.startsWith(`${first.tenantId}:`), firstAtVertex.userId);
    assert.ok(secondAtVertex.userId.startsWith(`${second.tenantId}:`), secondAtVertex.userId);
    assert.ok(![firstAtVertex.userId, secondAtVertex.userId].some((id) => id.includes('alice')));

    // Through the broker: the other tenant's alice sees nothing of the first session.
    assert.equal((await second.app.get(`/v1/sessions/${firstSession.id}`)).status, 404);
    assert.equal((await second.app.post(`/v1/sessions/${firstSession.id}/turns`, { input: 'let me in' })).status, 404);
    assert.equal((await second.app.get(`/v1/sessions/${firstSession.id}/events`)).status, 404);
    assert.ok(!((await second.app.get('/v1/sessions')).json.data as Array<{ id: string }>).some((session) => session.id === firstSession.id));

    // Histories stay apart: each alice's second turn remembers only her own first one.
    assert.equal((await first.app.post(`/v1/sessions/${firstSession.id}/turns`, { input: 'first tenant secret' })).status, 200);
    assert.equal((await second.app.post(`/v1/sessions/${secondSession.id}/turns`, { input: 'second tenant note' })).status, 200);
    const reply = await second.app.post(`/v1/sessions/${secondSession.id}/turns`, { input: 'what did I say?' });
    const text = reply.json.turn.output.map((part: { text: string }) => part.text).join('');
    assert.match(text, /second tenant note/);
    assert.doesNotMatch(text, /first tenant secret/);

    // At Vertex: the second alice's user id can neither list nor drive the first session.
    const clients = new VertexClients({ endpoint: { kind: 'emulator', host: emulator.host, port: emulator.port } });
    try {
      const { sessions, executions } = clients.forLocation('us-central1');
      const [listed] = await sessions.listSessions({ parent: target.reasoningEngine, filter: `user_id="${secondAtVertex.userId}"` }, { timeout: 5_000 });
      assert.deepEqual(listed.map((session) => session.name), [secondSession.providerSession.id]);
      const stream = executions.streamQueryReasoningEngine(
        {
          name: target.reasoningEngine,
          classMethod: 'async_stream_query',
          input: { fields: { user_id: { stringValue: secondAtVertex.userId }, session_id: { stringValue: firstSession.providerSession.id.split('/').at(-1) }, message: { stringValue: 'hi' } } },
        },
        { ...turnStreamCallOptions, timeout: 5_000 },
      );
      const code = await new Promise<number | undefined>((resolve) => {
        stream.on('data', () => resolve(-1));
        stream.on('error', (error: { code?: number }) => resolve(error.code));
        stream.on('end', () => resolve(undefined));
      });
      assert.equal(code, GrpcStatus.NOT_FOUND);
    } finally {
      await clients.close();
    }
  });
});
