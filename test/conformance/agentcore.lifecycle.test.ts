import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AgentCoreEmulator } from '#providers/agentcore';
import { createTenantWithKeys, startTestBroker, uniqueName, type TestBroker } from '../support/test-broker.js';
import type { HttpClient } from '../support/http-client.js';
import { parseSse } from '../support/sse.js';
import { agentCoreFixture } from '../../providers/agentcore/conformance.fixture.js';

/**
 * AgentCore's issue acceptance: through the broker, over real HTTP, against
 * the emulator the broker started. AgentCore reaps sessions silently and
 * boots a fresh microVM for a reused id, so these prove the broker never
 * lets a turn land on a fresh microVM unnoticed, and never replays a turn.
 */
describe('agentcore: lifecycle, retries and truncation through the broker', () => {
  let sb: TestBroker;
  let emulator: AgentCoreEmulator;
  let app: HttpClient;
  let tenantId: string;
  let agentName: string;
  let textAgentName: string;

  before(async () => {
    sb = await startTestBroker({ PROVIDER_RETRY_BASE_MS: '10', PROVIDER_MAX_RETRIES: '2', ...agentCoreFixture.env });
    emulator = sb.broker.runtimes.emulator<AgentCoreEmulator>('agentcore')!;
    const tenant = await createTenantWithKeys(sb, ['app', 'admin']);
    tenantId = tenant.tenantId;
    const admin = sb.as(tenant.keys.admin.key);
    agentName = uniqueName('agentcore');
    textAgentName = uniqueName('agentcore-text');
    for (const [name, target] of [[agentName, emulator.demoTarget], [textAgentName, emulator.demoTextTarget]] as const) {
      const agent = await admin.post('/v1/agents', { name, defaultProvider: 'agentcore', targets: { agentcore: target } });
      assert.equal(agent.status, 201, agent.text);
    }
    app = sb.as(tenant.keys.app.key, { 'x-end-user': 'agentcore-user' });
  });
  after(() => sb.close());

  const createSession = async (agent = agentName) => {
    const created = await app.post('/v1/sessions', { agent });
    assert.equal(created.status, 201, created.text);
    return created.json as { id: string; providerSession: { id: string }; idleTimeoutSeconds: number };
  };
  const turn = (sessionId: string, input: string, headers: Record<string, string> = {}) => app.post(`/v1/sessions/${sessionId}/turns`, { input }, headers);
  const replyOf = (response: { json: { turn: { output: Array<{ text: string }> } } }) => response.json.turn.output.map((part) => part.text).join('');

  test('a session idle past its timeout is 410 idle_timeout, and no turn reaches a fresh microVM', async () => {
    const session = await createSession();
    assert.equal((await turn(session.id, 'remember the word marigold')).status, 200);
    const runtimeSessionId = session.providerSession.id;
    assert.ok(emulator.hasMicroVm(runtimeSessionId), 'the first turn booted a microVM');

    // The broker's clock: its idle deadline has passed. The provider's: its idle timeout (900 s) has passed too.
    await sb.broker.database.database.inTenant(tenantId, (tx) =>
      tx.rows(`UPDATE sessions SET idle_expires_at = now() - interval '1 second' WHERE id = $1`, [session.id]),
    );
    emulator.clock.advance(901_000);
    assert.equal(emulator.hasMicroVm(runtimeSessionId), false, 'the emulator reaped the microVM');
    const invocations = emulator.stats.get('invoke');
    const boots = emulator.stats.get('microvm.boot');

    const late = await turn(session.id, 'what was the word?');
    assert.equal(late.status, 410, late.text);
    assert.equal(late.json.code, 'session_terminated');
    assert.equal(late.json.terminationReason, 'idle_timeout');
    assert.equal(emulator.stats.get('invoke'), invocations, 'no invocation reached AgentCore');
    assert.equal(emulator.stats.get('microvm.boot'), boots, 'no fresh microVM was booted');
    const current = await app.get(`/v1/sessions/${session.id}`);
    assert.equal(current.json.status, 'terminated');
    assert.equal(current.json.terminationReason, 'idle_timeout');
  });

  test('two 429s then success: the broker retries, the agent runs the turn exactly once', async () => {
    const session = await createSession();
    const runs = emulator.stats.get('turns.run');
    const invocations = emulator.stats.get('invoke');
    emulator.faults.add('invoke', { kind: 'status', status: 429, times: 2 });
    const response = await turn(session.id, 'hello through the throttle');
    assert.equal(response.status, 200, response.text);
    assert.match(replyOf(response), /You said: "hello through the throttle"/);
    assert.equal(emulator.stats.get('invoke') - invocations, 3, 'two refused invocations and one accepted');
    assert.equal(emulator.stats.get('turns.run') - runs, 1, 'the agent ran the turn once');
  });

  test('a stream cut mid-turn is turn.failed provider_stream_truncated; the session goes on with its memory', async () => {
    const session = await createSession();
    assert.equal((await turn(session.id, 'my ticket is T-9')).status, 200);
    emulator.faults.add('invoke', { kind: 'truncate', afterEvents: 2 });
    const cut = await turn(session.id, 'this answer will break', { accept: 'text/event-stream' });
    assert.equal(cut.status, 200, cut.text);
    const events = parseSse(cut.text);
    assert.ok(events.some((event) => event.event === 'message.delta'), 'part of the reply arrived');
    assert.equal(events.at(-1)?.event, 'turn.failed');
    assert.equal(events.at(-1)?.data.data.error.code, 'provider_stream_truncated');

    const next = await turn(session.id, 'still there?');
    assert.equal(next.status, 200, next.text);
    assert.equal(next.json.turn.status, 'completed');
    assert.match(replyOf(next), /Earlier you said: "my ticket is T-9"/, 'the same microVM answered, with its memory');
  });

  test('a microVM that died under a live session is detected on the next turn: 410 provider, the fresh microVM stopped', async () => {
    const session = await createSession();
    assert.equal((await turn(session.id, 'first')).status, 200);
    emulator.killMicroVm(session.providerSession.id);
    const stateLost = emulator.stats.get('agent.stateLost');
    const runs = emulator.stats.get('turns.run');

    const next = await turn(session.id, 'second');
    assert.equal(next.status, 410, next.text);
    assert.equal(next.json.terminationReason, 'provider');
    assert.equal(emulator.stats.get('agent.stateLost') - stateLost, 1, 'the agent reported the lost state');
    assert.equal(emulator.stats.get('turns.run'), runs, 'the turn did not run on the fresh microVM');
    assert.equal(emulator.hasMicroVm(session.providerSession.id), false, 'the adapter stopped the fresh microVM');
  });

  test('a plain-text agent with no terminator: deltas, and the end of the body completes the turn (the agent reports no tokens)', async () => {
    const session = await createSession(textAgentName);
    const first = await turn(session.id, 'plain text please', { accept: 'text/event-stream' });
    assert.equal(first.status, 200, first.text);
    const events = parseSse(first.text);
    const types = events.map((event) => event.event);
    assert.ok(types.filter((type) => type === 'message.delta').length > 1, `events: ${types.join(', ')}`);
    const completed = events.find((event) => event.event === 'message.completed')!;
    assert.equal(completed.data.data.content[0].text, 'Turn 1. You said: "plain text please".');
    assert.equal(events.at(-1)?.event, 'turn.completed');
    // A stock text agent says nothing about tokens (issue 15 item 10 will mark them "not reported" rather than 0).
    assert.deepEqual(events.at(-1)?.data.data.usage, { inputTokens: 0, outputTokens: 0 });
    const second = await turn(session.id, 'and again');
    assert.match(replyOf(second), /Earlier you said: "plain text please"/);
  });

  test('terminate stops the microVM; terminating a reaped session counts AgentCore’s 404 as stopped', async () => {
    const session = await createSession();
    assert.equal((await turn(session.id, 'hi')).status, 200);
    const ended = await app.delete(`/v1/sessions/${session.id}`);
    assert.equal(ended.status, 200);
    assert.equal(emulator.hasMicroVm(session.providerSession.id), false);

    const other = await createSession();
    const stops = emulator.stats.get('stop');
    const again = await app.delete(`/v1/sessions/${other.id}`);
    assert.equal(again.status, 200, 'a session with no microVM (404 at AgentCore) terminates cleanly');
    assert.equal(emulator.stats.get('stop') - stops, 1);
  });
});
