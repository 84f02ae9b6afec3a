import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createTenantWithKeys, startTestBroker, uniqueName, type TestBroker } from '../support/test-broker.js';
import type { HttpClient, TestResponse } from '../support/http-client.js';
import { parseSse, sseEvents, type ReceivedEvent } from '../support/sse.js';
import type { ConformanceFixture, EmulatorControls } from '#libs/provider-kit';

/** Turn timeout of the broker under test: short, so the slow-provider scenario is quick. */
const turnTimeoutMs = 2500;

/** A broker under test with one tenant and an agent on the fixture's runtime, and the suite's clients. */
async function brokerWithAgent(fixture: ConformanceFixture, env: Record<string, string> = {}) {
  const sb = await startTestBroker({
    TURN_TIMEOUT_MS: String(turnTimeoutMs),
    PROVIDER_RETRY_BASE_MS: '10',
    PROVIDER_MAX_RETRIES: '2',
    ...fixture.env,
    ...env,
  });
  const controls = fixture.controls(sb.broker.runtimes.emulator(fixture.provider));
  const tenant = await createTenantWithKeys(sb, ['app', 'admin', 'auditor']);
  const agentName = uniqueName('agent');
  const target = sb.broker.runtimes.demoTargets()[fixture.provider];
  assert.ok(target, `the ${fixture.provider} runtime has a demo target`);
  const agent = await sb.as(tenant.keys.admin.key).post('/v1/agents', {
    name: agentName,
    defaultProvider: fixture.provider,
    targets: { [fixture.provider]: target },
  });
  assert.equal(agent.status, 201, agent.text);
  const app = sb.as(tenant.keys.app.key, { 'x-end-user': 'conformance-user' });
  const auditor = sb.as(tenant.keys.auditor.key);
  return { sb, controls, app, auditor, agentName };
}

/**
 * The scenarios every runtime must pass, each a real HTTP request through the
 * broker to the provider's emulator via the provider's real SDK.
 */
export function runConformanceSuite(fixture: ConformanceFixture): void {
  describe(`conformance: ${fixture.provider}`, () => {
    let sb: TestBroker;
    let controls: EmulatorControls;
    let app: HttpClient;
    let auditor: HttpClient;
    let agentName: string;

    before(async () => {
      ({ sb, controls, app, auditor, agentName } = await brokerWithAgent(fixture));
    });
    after(() => sb.close());

    const createSession = async (headers: Record<string, string> = {}) => {
      const created = await app.post('/v1/sessions', { agent: agentName, provider: fixture.provider, metadata: { suite: 'conformance' } }, headers);
      assert.equal(created.status, 201, created.text);
      return created;
    };
    const streamTurn = async (sessionId: string, input: string): Promise<{ response: TestResponse; events: ReceivedEvent[] }> => {
      const response = await app.post(`/v1/sessions/${sessionId}/turns`, { input }, { accept: 'text/event-stream' });
      return { response, events: response.status === 200 ? parseSse(response.text) : [] };
    };
    const jsonTurn = (sessionId: string, input: string) => app.post(`/v1/sessions/${sessionId}/turns`, { input });

    test('create → streamed turn → second turn remembers the first → transcript → terminate → 410', async () => {
      const session = (await createSession()).json;
      assert.equal(session.status, 'idle');
      assert.equal(session.provider, fixture.provider);
      assert.equal(session.user, 'conformance-user');
      assert.ok(session.providerSession?.id, 'the provider session id is exposed');

      const first = await streamTurn(session.id, 'My order number is 4471');
      assert.equal(first.response.status, 200, first.response.text);
      assert.match(first.response.headers.get('content-type') ?? '', /^text\/event-stream/);
      const types = first.events.map((event) => event.event);
      assert.equal(types[0], 'turn.started');
      assert.equal(types.at(-1), 'turn.completed');
      assert.ok(types.includes('message.completed'), `events: ${types.join(', ')}`);
      assert.ok(first.events.every((event) => event.data.type === event.event && event.data.sessionId === session.id));
      assert.equal(new Set(first.events.map((event) => event.data.turnId)).size, 1, 'one turn id');
      const seqs = first.events.map((event) => event.data.seq as number);
      assert.deepEqual([...seqs].sort((a, b) => a - b), seqs, 'seq increases');
      assert.equal(new Set(seqs).size, seqs.length);
      const usage = first.events.at(-1)!.data.data.usage;
      assert.ok(usage.inputTokens > 0 && usage.outputTokens > 0, 'usage is reported');

      const second = await jsonTurn(session.id, 'What was my order number?');
      assert.equal(second.status, 200, second.text);
      assert.equal(second.json.turn.status, 'completed');
      const reply = second.json.turn.output.map((part: { text: string }) => part.text).join('');
      assert.match(reply, /My order number is 4471/, 'the second turn sees the first');

      const transcript = await app.get(`/v1/sessions/${session.id}/events`);
      assert.equal(transcript.status, 200);
      const stored = transcript.json.data as Array<{ type: string; seq: number; turnId: string }>;
      assert.ok(stored.every((event) => event.type !== 'message.delta'), 'no deltas in the transcript');
      assert.deepEqual(
        stored.filter((event) => event.type === 'turn.started' || event.type === 'turn.completed').map((event) => event.type),
        ['turn.started', 'turn.completed', 'turn.started', 'turn.completed'],
      );
      assert.ok(stored.every((event, index) => index === 0 || event.seq > stored[index - 1].seq));
      const afterFirst = await app.get(`/v1/sessions/${session.id}/events?after=${stored[1].seq}`);
      assert.equal(afterFirst.json.data[0].seq, stored[2].seq, 'after= pages the transcript');

      const current = await app.get(`/v1/sessions/${session.id}`);
      assert.equal(current.json.usage.turns, 2);
      assert.ok(current.json.usage.activeSeconds > 0);

      const ended = await app.delete(`/v1/sessions/${session.id}`);
      assert.equal(ended.status, 200);
      assert.equal(ended.json.status, 'terminated');
      assert.equal(ended.json.terminationReason, 'client');
      assert.equal((await app.delete(`/v1/sessions/${session.id}`)).status, 200, 'terminate is idempotent');
      const late = await jsonTurn(session.id, 'still there?');
      assert.equal(late.status, 410);
      assert.equal(late.json.code, 'session_terminated');
      assert.equal(late.json.terminationReason, 'client');
    });

    test('a tool call is streamed as tool.call then tool.result', async () => {
      const session = (await createSession()).json;
      const turn = await streamTurn(session.id, 'please use a tool to list files');
      const types = turn.events.map((event) => event.event);
      const call = types.indexOf('tool.call');
      assert.ok(call >= 0, `events: ${types.join(', ')}`);
      assert.ok(types.indexOf('tool.result') > call);
      const callEvent = turn.events[call].data.data;
      assert.equal(typeof callEvent.name, 'string');
      assert.equal(turn.events.find((event) => event.event === 'tool.result')!.data.data.id, callEvent.id);
    });

    // Tool approvals (API.md §4): a message saying "tool" and "approval" makes the emulated agent's tool call wait for a person.
    const approvals = 'unsupported' in fixture.approvals ? { skip: fixture.approvals.unsupported } : {};
    const denialMessageReachesAgent = 'denialMessageReachesAgent' in fixture.approvals && fixture.approvals.denialMessageReachesAgent;
    const askForApproval = async (sessionId: string) => {
      const asked = await streamTurn(sessionId, 'please use a tool, with approval');
      assert.equal(asked.response.status, 200, asked.response.text);
      const types = asked.events.map((event) => event.event);
      const requests = asked.events.filter((event) => event.event === 'approval.requested');
      assert.equal(requests.length, 1, `events: ${types.join(', ')}`);
      assert.ok(!types.includes('tool.result'), 'the tool does not run before it is approved');
      const last = asked.events.at(-1)!;
      assert.equal(last.event, 'turn.completed');
      assert.equal(last.data.data.stopReason, 'requires_action');
      const request = requests[0].data.data as { toolCallId: string; name: string; input: unknown };
      assert.equal(typeof request.toolCallId, 'string');
      assert.equal(typeof request.name, 'string');
      assert.ok(request.input !== undefined);
      const session = await app.get(`/v1/sessions/${sessionId}`);
      assert.equal(session.json.status, 'idle', 'the session stays usable');
      return request;
    };
    const decisionsAudited = async (sessionId: string) => {
      const audited = await auditor.get(`/v1/audit/events?session=${sessionId}&type=approval.decided`);
      assert.equal(audited.status, 200, audited.text);
      return audited.json.data as Array<{ user: string; detail: { toolCallId: string; decision: string; implicit: boolean } }>;
    };

    test('tool approvals: allowed, the tool runs and the turn completes', approvals, async () => {
      const session = (await createSession()).json;
      const request = await askForApproval(session.id);
      const unknown = await app.post(`/v1/sessions/${session.id}/turns`, { approvals: [{ toolCallId: 'toolu_not_waiting', decision: 'allow' }] });
      assert.equal(unknown.status, 400, unknown.text);
      assert.match(unknown.headers.get('content-type') ?? '', /^application\/problem\+json/);
      assert.equal(unknown.json.code, 'invalid_request');

      const allowed = await app.post(`/v1/sessions/${session.id}/turns`, { approvals: [{ toolCallId: request.toolCallId, decision: 'allow' }] }, { accept: 'text/event-stream' });
      assert.equal(allowed.status, 200, allowed.text);
      const events = parseSse(allowed.text);
      const result = events.find((event) => event.event === 'tool.result');
      assert.ok(result, `events: ${events.map((event) => event.event).join(', ')}`);
      assert.equal(result.data.data.id, request.toolCallId);
      assert.equal(result.data.data.isError, false);
      assert.equal(events.at(-1)!.event, 'turn.completed');
      assert.equal(events.at(-1)!.data.data.stopReason, undefined);
      assert.ok(events.some((event) => event.event === 'message.completed'), 'the agent goes on after the tool');

      const again = await app.post(`/v1/sessions/${session.id}/turns`, { approvals: [{ toolCallId: request.toolCallId, decision: 'allow' }] });
      assert.equal(again.status, 400, 'a decided call is no longer waiting');
      const decided = await decisionsAudited(session.id);
      assert.deepEqual(
        decided.map((event) => [event.user, event.detail.toolCallId, event.detail.decision, event.detail.implicit]),
        [['conformance-user', request.toolCallId, 'allow', false]],
      );
    });

    test('tool approvals: denied with a message, the tool does not run and the agent is told', approvals, async () => {
      const session = (await createSession()).json;
      const asked = await jsonTurn(session.id, 'please use a tool, with approval');
      assert.equal(asked.status, 200, asked.text);
      assert.equal(asked.json.turn.status, 'requires_action', 'the JSON answer says the turn waits');
      const requested = (await app.get(`/v1/sessions/${session.id}/events`)).json.data.filter((event: { type: string }) => event.type === 'approval.requested');
      assert.equal(requested.length, 1);
      const request = requested[0].data as { toolCallId: string };
      const denied = await app.post(`/v1/sessions/${session.id}/turns`, { approvals: [{ toolCallId: request.toolCallId, decision: 'deny', message: 'not on a Friday' }] });
      assert.equal(denied.status, 200, denied.text);
      assert.equal(denied.json.turn.status, 'completed');
      const reply = denied.json.turn.output.map((part: { text: string }) => part.text).join('');
      if (denialMessageReachesAgent) assert.match(reply, /not on a Friday/, 'the agent read the denial');
      const transcript = (await app.get(`/v1/sessions/${session.id}/events`)).json.data as Array<{ type: string; data: Record<string, unknown> }>;
      assert.deepEqual(
        transcript.filter((event) => event.type === 'approval.requested').map((event) => event.data.toolCallId),
        [request.toolCallId],
        'the request is in the transcript',
      );
      // Some runtimes report a denied call as an error result (Claude), others not at all (Foundry): never as a result that ran.
      assert.ok(!transcript.some((event) => event.type === 'tool.result' && event.data.isError === false), 'the denied tool did not run');
      const decided = await decisionsAudited(session.id);
      assert.deepEqual(decided.map((event) => [event.user, event.detail.decision, event.detail.implicit]), [['conformance-user', 'deny', false]]);
    });

    test('tool approvals: a turn with input and no decision denies the waiting call first', approvals, async () => {
      const session = (await createSession()).json;
      const request = await askForApproval(session.id);
      const next = await app.post(`/v1/sessions/${session.id}/turns`, { input: 'never mind, what is the time?' }, { accept: 'text/event-stream' });
      assert.equal(next.status, 200, next.text);
      const events = parseSse(next.text);
      const types = events.map((event) => event.event);
      assert.ok(
        !events.some((event) => event.event === 'tool.result' && event.data.data.id === request.toolCallId && event.data.data.isError === false),
        `the denied tool did not run: ${types.join(', ')}`,
      );
      assert.equal(types.at(-1), 'turn.completed');
      const reply = events.filter((event) => event.event === 'message.completed').map((event) => JSON.stringify(event.data.data.content)).join('');
      assert.match(reply, /never mind, what is the time\?/, 'the new input is answered after the denial');
      const decided = await decisionsAudited(session.id);
      assert.deepEqual(decided.map((event) => [event.user, event.detail.toolCallId, event.detail.decision, event.detail.implicit]), [['conformance-user', request.toolCallId, 'deny', true]]);
      const later = await app.post(`/v1/sessions/${session.id}/turns`, { approvals: [{ toolCallId: request.toolCallId, decision: 'allow' }] });
      assert.equal(later.status, 400, 'nothing waits any more');
    });

    test('Idempotency-Key: same body returns the same session, another body is 409', async () => {
      const key = uniqueName('idem');
      const first = await createSession({ 'idempotency-key': key });
      const again = await createSession({ 'idempotency-key': key });
      assert.equal(again.json.id, first.json.id);
      assert.equal(again.headers.get('idempotent-replayed'), 'true');
      const other = await app.post('/v1/sessions', { agent: agentName, provider: fixture.provider, metadata: { other: true } }, { 'idempotency-key': key });
      assert.equal(other.status, 409);
      assert.equal(other.json.reason, 'idempotency_key_reused');
    });

    test('consecutive turns reuse the SDK connections to the provider', async (t) => {
      const connections = controls.connections;
      if ('unsupported' in connections) return t.skip(connections.unsupported);
      const perTurn = connections.perTurn === 0 ? 0 : connections.perTurn.count;
      const session = (await createSession()).json;
      // The first turn may open what the client keeps (a session's first call, an event stream's connection).
      assert.equal((await streamTurn(session.id, 'warm up')).response.status, 200);
      const before = connections.opened();
      for (let turn = 1; turn <= 4; turn++) {
        const streamed = await streamTurn(session.id, `streamed turn ${turn}`);
        assert.equal(streamed.events.at(-1)?.event, 'turn.completed', streamed.response.text);
        assert.equal((await jsonTurn(session.id, `json turn ${turn}`)).status, 200);
      }
      // A new connection per turn is a new TCP and TLS handshake with the cloud on every turn.
      const why = connections.perTurn === 0 ? 'none by design' : connections.perTurn.why;
      assert.equal(connections.opened() - before, 8 * perTurn, `eight turns opened ${8 * perTurn} connections (${why})`);
    });

    test('throttling before the turn is accepted is retried; the agent runs the turn once', async () => {
      const session = (await createSession()).json;
      const before = controls.turnsRun();
      controls.throttleTurns(1);
      const turn = await jsonTurn(session.id, 'hello after a 429');
      assert.equal(turn.status, 200, turn.text);
      assert.equal(controls.turnsRun() - before, 1);
    });

    test('throttling past the retries is 503 with Retry-After, and nothing ran', async () => {
      const session = (await createSession()).json;
      const before = controls.turnsRun();
      controls.throttleTurns(3);
      const turn = await jsonTurn(session.id, 'hello');
      assert.equal(turn.status, 503, turn.text);
      assert.equal(turn.json.code, 'provider_unavailable');
      assert.ok(Number(turn.headers.get('retry-after')) > 0);
      assert.equal(controls.turnsRun(), before);
      assert.equal((await jsonTurn(session.id, 'and now?')).status, 200, 'the session is usable afterwards');
    });

    // Every way a provider can refuse a turn before accepting it (API.md §4):
    // problem+json with its status in SSE mode as in JSON, nothing ran, the
    // transcript still records the turn, and the session stays usable. Lost
    // sessions (410) and timeouts (504) have their own SSE scenario below.
    // Three refusals outlast the broker's retries; whether it retries a 5xx
    // at all is the adapter's call (a 5xx may mean the provider started the
    // turn), so refusals it did not need are dropped afterwards.
    const refusals = [
      { kind: 'throttled past the retries', refuse: () => controls.throttleTurns(3), status: 503, code: 'provider_unavailable' },
      { kind: 'unavailable past the retries', refuse: () => controls.refuseTurns(3, 503), status: 503, code: 'provider_unavailable' },
      { kind: 'rejected', refuse: () => controls.refuseTurns(1, 400), status: 502, code: 'provider_error' },
    ] as const;
    for (const refusal of refusals) {
      test(`SSE mode: a turn ${refusal.kind} before acceptance is ${refusal.status} problem+json; the transcript records it`, async () => {
        const session = (await createSession()).json;
        const before = controls.turnsRun();
        refusal.refuse();
        const refused = await app.post(`/v1/sessions/${session.id}/turns`, { input: 'hello' }, { accept: 'text/event-stream' });
        assert.equal(refused.status, refusal.status, refused.text);
        assert.match(refused.headers.get('content-type') ?? '', /^application\/problem\+json/);
        assert.equal(refused.json.code, refusal.code);
        if (refusal.status === 503) assert.ok(Number(refused.headers.get('retry-after')) > 0, 'a 503 says when to retry');
        assert.equal(controls.turnsRun(), before, 'the agent ran nothing');
        controls.clearFaults();
        const transcript = await app.get(`/v1/sessions/${session.id}/events`);
        assert.deepEqual(
          transcript.json.data.map((event: { type: string }) => event.type),
          ['turn.started', 'turn.failed'],
        );
        assert.equal(transcript.json.data[1].data.error.code, refusal.code);
        const next = await streamTurn(session.id, 'and now?');
        assert.equal(next.response.status, 200, next.response.text);
        assert.equal(next.events.at(-1)?.event, 'turn.completed', 'the session is usable afterwards');
      });
    }

    test('a session the provider lost is terminated with reason provider', async () => {
      const session = (await createSession()).json;
      controls.loseSession(session.providerSession.id);
      const turn = await jsonTurn(session.id, 'anyone there?');
      assert.equal(turn.status, 410, turn.text);
      assert.equal(turn.json.terminationReason, 'provider');
      const current = await app.get(`/v1/sessions/${session.id}`);
      assert.equal(current.json.status, 'terminated');
      assert.equal(current.json.terminationReason, 'provider');
    });

    test('a stream cut mid-turn is turn.failed provider_stream_truncated; the session goes on', async () => {
      const session = (await createSession()).json;
      assert.equal((await jsonTurn(session.id, 'warm up')).status, 200);
      controls.cutNextTurn(2);
      const cut = await streamTurn(session.id, 'this stream will break');
      assert.equal(cut.response.status, 200);
      const last = cut.events.at(-1)!;
      assert.equal(last.event, 'turn.failed');
      assert.equal(last.data.data.error.code, 'provider_stream_truncated');
      const next = await jsonTurn(session.id, 'are we fine?');
      assert.equal(next.status, 200, next.text);
      assert.equal(next.json.turn.status, 'completed');
    });

    test('a provider slower than the turn timeout is 504', async () => {
      const session = (await createSession()).json;
      controls.delayNextTurn(turnTimeoutMs + 2000);
      const turn = await jsonTurn(session.id, 'slow one');
      assert.equal(turn.status, 504, turn.text);
      assert.equal(turn.json.code, 'provider_timeout');
      const events = (await app.get(`/v1/sessions/${session.id}/events`)).json.data as Array<{ type: string; data: { error?: { code: string } } }>;
      assert.equal(events.at(-1)?.type, 'turn.failed');
      assert.equal(events.at(-1)?.data.error?.code, 'provider_timeout');
      const next = await jsonTurn(session.id, 'the next question');
      assert.equal(next.status, 200, next.text);
      const reply = next.json.turn.output.map((part: { text: string }) => part.text).join('');
      assert.match(reply, /the next question/, 'the next turn answers its own input, not the abandoned one');
    });

    test('SSE mode, before the first event: a timeout is 504 and a lost session 410, as problem+json', async () => {
      const slow = (await createSession()).json;
      controls.delayNextTurn(turnTimeoutMs + 2000);
      const timedOut = await app.post(`/v1/sessions/${slow.id}/turns`, { input: 'slow one' }, { accept: 'text/event-stream' });
      assert.equal(timedOut.status, 504, timedOut.text);
      assert.match(timedOut.headers.get('content-type') ?? '', /^application\/problem\+json/);
      assert.equal(timedOut.json.code, 'provider_timeout');
      const lost = (await createSession()).json;
      controls.loseSession(lost.providerSession.id);
      const gone = await app.post(`/v1/sessions/${lost.id}/turns`, { input: 'anyone there?' }, { accept: 'text/event-stream' });
      assert.equal(gone.status, 410, gone.text);
      assert.match(gone.headers.get('content-type') ?? '', /^application\/problem\+json/);
      assert.equal(gone.json.terminationReason, 'provider');
    });

    test('20 concurrent turns on one session: one runs, 19 get 409, the transcript does not interleave', async () => {
      const session = (await createSession()).json;
      controls.delayNextTurn(800);
      const results = await Promise.all(Array.from({ length: 20 }, (_, index) => jsonTurn(session.id, `concurrent ${index}`)));
      const statuses = results.map((result) => result.status).sort();
      assert.deepEqual(statuses, [200, ...Array<number>(19).fill(409)]);
      assert.ok(results.filter((result) => result.status === 409).every((result) => result.json.reason === 'turn_in_progress'));
      const events = (await app.get(`/v1/sessions/${session.id}/events`)).json.data as Array<{ turnId: string; type: string }>;
      assert.equal(new Set(events.map((event) => event.turnId)).size, 1);
      assert.equal(events[0].type, 'turn.started');
      assert.equal(events.at(-1)?.type, 'turn.completed');
    });

    // Cancel needs a turn that is still streaming when the cancel arrives:
    // a broker whose emulator paces its events like an agent thinking.
    describe('cancel', () => {
      let paced: Awaited<ReturnType<typeof brokerWithAgent>>;
      before(async () => {
        paced = await brokerWithAgent(fixture, { SWITCHBOARD_EMULATOR_PACING_MS: '400', TURN_TIMEOUT_MS: '30000' });
      });
      after(() => paced.sb.close());

      test('cancel a running turn: it ends turn.failed cancelled, is counted and settled, and the session goes on', async () => {
        const created = await paced.app.post('/v1/sessions', { agent: paced.agentName, provider: fixture.provider });
        assert.equal(created.status, 201, created.text);
        const session = created.json;
        const app = paced.app;
        const response = await app.open('POST', `/v1/sessions/${session.id}/turns`, { input: 'a long answer, please' }, { accept: 'text/event-stream' });
        assert.equal(response.status, 200);
        const received: ReceivedEvent[] = [];
        let cancel: Promise<TestResponse> | undefined;
        for await (const event of sseEvents(response)) {
          received.push(event);
          if (event.event === 'message.delta' && !cancel) cancel = app.post(`/v1/sessions/${session.id}/turns/${event.data.turnId}/cancel`, {});
        }
        assert.ok(cancel, `the turn streamed a delta before it was cancelled: ${received.map((event) => event.event).join(', ')}`);
        const accepted = await cancel;
        assert.equal(accepted.status, 202, accepted.text);
        const last = received.at(-1)!;
        assert.equal(last.event, 'turn.failed', `events: ${received.map((event) => event.event).join(', ')}`);
        assert.equal(last.data.data.error.code, 'cancelled');
        assert.ok(!received.some((event) => event.event === 'turn.completed' || event.event === 'message.completed'), "the agent's answer never arrives");

        const view = await app.get(`/v1/sessions/${session.id}/turns/${last.data.turnId}`);
        assert.equal(view.json.turn.status, 'failed');
        assert.equal(view.json.turn.error.code, 'cancelled');
        const again = await app.post(`/v1/sessions/${session.id}/turns/${last.data.turnId}/cancel`, {});
        assert.equal(again.status, 200, 'cancelling an ended turn answers its final view');

        const next = await app.post(`/v1/sessions/${session.id}/turns`, { input: 'the next question' });
        assert.equal(next.status, 200, next.text);
        const reply = next.json.turn.output.map((part: { text: string }) => part.text).join('');
        assert.match(reply, /the next question/, 'the next turn answers its own input');
        const current = await app.get(`/v1/sessions/${session.id}`);
        assert.equal(current.json.status, 'idle');
        assert.equal(current.json.usage.turns, 2, 'the cancelled turn is counted and settled');
      });
    });
  });
}
