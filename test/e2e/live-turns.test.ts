import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { startClaudeEmulator, type ClaudeEmulator } from '#providers/claude';
import { claudeLiveOnly } from '../support/claude-live.js';
import { spawnBroker, type BrokerProcess } from '../support/broker-process.js';
import { HttpClient } from '../support/http-client.js';
import { grantTargets } from '../support/target-grants.js';
import { startTestBroker, uniqueName, type TestBroker } from '../support/test-broker.js';

const databaseUrl = process.env.DATABASE_URL;

interface StreamedEvent {
  seq: number;
  type: string;
  turnId: string;
  data: Record<string, unknown>;
}

/**
 * Reads an event stream as it arrives; `until` decides, event by event,
 * whether to stop early (the connection is then dropped, as a client that
 * lost its network would).
 */
async function readStream(
  url: string,
  init: { method: string; headers: Record<string, string>; body?: string },
  until: (events: StreamedEvent[]) => boolean = () => false,
  onEvent: (event: StreamedEvent) => void = () => undefined,
): Promise<{ status: number; contentType: string | null; events: StreamedEvent[]; ids: number[] }> {
  const abort = new AbortController();
  const response = await fetch(url, { ...init, signal: abort.signal });
  const events: StreamedEvent[] = [];
  const ids: number[] = [];
  if (!response.body || !(response.headers.get('content-type') ?? '').includes('text/event-stream')) {
    return { status: response.status, contentType: response.headers.get('content-type'), events, ids };
  }
  const decoder = new TextDecoder();
  let buffer = '';
  try {
    for await (const chunk of response.body) {
      buffer += decoder.decode(chunk as Uint8Array, { stream: true });
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const lines = block.split('\n').filter((line) => line && !line.startsWith(':'));
        const data = lines.find((line) => line.startsWith('data: '));
        const id = lines.find((line) => line.startsWith('id: '));
        if (!data) continue;
        events.push(JSON.parse(data.slice(6)) as StreamedEvent);
        onEvent(events.at(-1)!);
        if (id) ids.push(Number(id.slice(4)));
        if (until(events)) {
          abort.abort();
          return { status: response.status, contentType: response.headers.get('content-type'), events, ids };
        }
      }
    }
  } catch (error) {
    if (!abort.signal.aborted) throw error;
  }
  return { status: response.status, contentType: response.headers.get('content-type'), events, ids };
}

/**
 * A turn with a tool call, then a reply in three deltas; the emulator paces
 * its events (250 ms apart), so the rest of the turn comes live on the
 * other replica.
 */
const longInput = `use the tools for ${Array.from({ length: 30 }, (_, index) => `word${index}`).join(' ')}`;

/**
 * Issue 16 item 3: a client that lost its turn's stream resumes it with
 * Last-Event-ID on `replicaB`: the stored events it missed, then the live
 * ones (deltas included), each once, in seq order, ending with
 * turn.completed; then the turn as a resource, and the 404s of the session
 * routes' binding rule.
 */
async function resumeScenario(options: { replicaA: string; replicaB: string; appKey: string; agent: string }): Promise<void> {
  const headers = (user: string) => ({ authorization: `Bearer ${options.appKey}`, 'x-end-user': user, 'content-type': 'application/json' });
  const app = (base: string, user = 'u-resume') => new HttpClient(base, headers(user));
  const created = await app(options.replicaA).post('/v1/sessions', { agent: options.agent });
  assert.equal(created.status, 201, created.text);
  const sessionId = created.json.id as string;

  // A client on A reads the turn's start, its tool call and result, its first delta, then loses its connection.
  const first = await readStream(
    `${options.replicaA}/v1/sessions/${sessionId}/turns`,
    { method: 'POST', headers: { ...headers('u-resume'), accept: 'text/event-stream' }, body: JSON.stringify({ input: longInput }) },
    (events) => events.some((event) => event.type === 'message.delta'),
  );
  assert.equal(first.status, 200);
  assert.equal(first.events[0].type, 'turn.started');
  const turnId = first.events[0].turnId;
  const lastSeq = first.ids.at(-1)!;
  assert.equal(lastSeq, first.events.at(-1)!.seq, 'each SSE id is the event seq');

  // The turn is a resource on B while it runs.
  const running = await app(options.replicaB).get(`/v1/sessions/${sessionId}/turns/${turnId}`);
  assert.equal(running.status, 200, running.text);
  assert.equal(running.json.turn.id, turnId);

  const resumed = await readStream(`${options.replicaB}/v1/sessions/${sessionId}/turns/${turnId}/events`, {
    method: 'GET',
    headers: { ...headers('u-resume'), accept: 'text/event-stream', 'last-event-id': String(lastSeq) },
  });
  assert.equal(resumed.status, 200);
  const seqs = resumed.events.map((event) => event.seq);
  assert.ok(seqs.length > 0, 'the resumed stream brought events');
  assert.ok(seqs[0] > lastSeq, `nothing the client already had (first ${seqs[0]}, had ${lastSeq})`);
  for (let index = 1; index < seqs.length; index++) assert.ok(seqs[index] > seqs[index - 1], `in seq order, each once: ${seqs.join(',')}`);
  assert.equal(resumed.events.at(-1)!.type, 'turn.completed', 'the stream ends with turn.completed');
  assert.ok(resumed.events.every((event) => event.turnId === turnId));
  assert.ok(resumed.events.some((event) => event.type === 'message.delta'), 'deltas came live');

  // Every stored event after Last-Event-ID, exactly once and in order: the transcript is the reference.
  const transcript = await app(options.replicaA).get(`/v1/sessions/${sessionId}/events?after=${lastSeq}`);
  assert.equal(transcript.status, 200);
  const storedAfter = (transcript.json.data as StreamedEvent[]).filter((event) => event.turnId === turnId).map((event) => `${event.seq}:${event.type}`);
  assert.deepEqual(resumed.events.filter((event) => event.type !== 'message.delta').map((event) => `${event.seq}:${event.type}`), storedAfter);
  assert.ok(storedAfter.some((entry) => entry.endsWith(':message.completed')));
  // The deltas of both streams are the reply as the agent streamed it, where they were followed.
  const completed = resumed.events.find((event) => event.type === 'message.completed')!;
  const reply = (completed.data.content as Array<{ text: string }>)[0].text;
  const deltas = [...first.events, ...resumed.events].filter((event) => event.type === 'message.delta').map((event) => String(event.data.text));
  assert.ok(reply.startsWith(String(first.events.at(-1)!.data.text)), 'the first stream had the reply\'s first delta');
  assert.equal(new Set(deltas).size, deltas.length, 'no delta twice');

  // The ended turn: its view, its events as JSON, a stream that replays and ends at once.
  const view = await app(options.replicaB).get(`/v1/sessions/${sessionId}/turns/${turnId}`);
  assert.equal(view.status, 200, view.text);
  assert.equal(view.json.turn.status, 'completed');
  assert.deepEqual(view.json.turn.output, [{ type: 'text', text: reply }]);
  assert.ok(Number.isInteger(view.json.turn.durationMs));
  const json = await app(options.replicaB).get(`/v1/sessions/${sessionId}/turns/${turnId}/events?after=${lastSeq}`);
  assert.equal(json.status, 200, json.text);
  assert.deepEqual((json.json.data as StreamedEvent[]).map((event) => `${event.seq}:${event.type}`), storedAfter);
  const replayed = await readStream(`${options.replicaB}/v1/sessions/${sessionId}/turns/${turnId}/events?after=0`, { method: 'GET', headers: { ...headers('u-resume'), accept: 'text/event-stream' } });
  assert.equal(replayed.events[0].type, 'turn.started');
  assert.equal(replayed.events.at(-1)!.type, 'turn.completed');

  // The binding rule of the session routes: another user, an unknown turn, a malformed Last-Event-ID.
  assert.equal((await app(options.replicaB, 'u-other').get(`/v1/sessions/${sessionId}/turns/${turnId}`)).status, 404);
  const stranger = await readStream(`${options.replicaB}/v1/sessions/${sessionId}/turns/${turnId}/events`, { method: 'GET', headers: { ...headers('u-other'), accept: 'text/event-stream' } });
  assert.equal(stranger.status, 404);
  assert.match(stranger.contentType ?? '', /application\/problem\+json/);
  assert.equal((await app(options.replicaB).get(`/v1/sessions/${sessionId}/turns/trn_01aaaaaaaaaaaaaaaaaaaaaaaa`)).status, 404);
  const malformed = await readStream(`${options.replicaB}/v1/sessions/${sessionId}/turns/${turnId}/events`, { method: 'GET', headers: { ...headers('u-resume'), accept: 'text/event-stream', 'last-event-id': 'x' } });
  assert.equal(malformed.status, 400);
}

/**
 * Issue 16 item 4: a turn cancelled through `replicaB` while it streams on
 * `replicaA` ends with turn.failed code `cancelled`; Claude is interrupted
 * (`user.interrupt`); the session stays usable; cancelling it again answers
 * its final view.
 */
async function cancelScenario(options: { replicaA: string; replicaB: string; appKey: string; agent: string; emulator: ClaudeEmulator }): Promise<void> {
  const headers = { authorization: `Bearer ${options.appKey}`, 'x-end-user': 'u-cancel', 'content-type': 'application/json' };
  const app = (base: string) => new HttpClient(base, headers);
  const created = await app(options.replicaA).post('/v1/sessions', { agent: options.agent });
  assert.equal(created.status, 201, created.text);
  const sessionId = created.json.id as string;
  const sendsBefore = options.emulator.stats.get('events.send');
  let cancel: Promise<{ status: number; json: Record<string, any> }> | undefined; // eslint-disable-line @typescript-eslint/no-explicit-any
  const streamed = await readStream(
    `${options.replicaA}/v1/sessions/${sessionId}/turns`,
    { method: 'POST', headers: { ...headers, accept: 'text/event-stream' }, body: JSON.stringify({ input: longInput }) },
    () => false,
    (event) => {
      if (event.type === 'message.delta' && !cancel) cancel = app(options.replicaB).post(`/v1/sessions/${sessionId}/turns/${event.turnId}/cancel`, {});
    },
  );
  assert.ok(cancel, 'the turn streamed a delta before it was cancelled');
  const accepted = await cancel;
  assert.equal(accepted.status, 202, JSON.stringify(accepted.json));
  assert.equal(accepted.json.turn.status, 'running');
  const last = streamed.events.at(-1)!;
  assert.equal(last.type, 'turn.failed', `the stream ends with turn.failed: ${streamed.events.map((event) => event.type).join(',')}`);
  assert.equal((last.data.error as { code: string }).code, 'cancelled');
  assert.ok(!streamed.events.some((event) => event.type === 'turn.completed'));
  // The user message, then the interrupt.
  assert.equal(options.emulator.stats.get('events.send') - sendsBefore, 2, 'Claude got user.interrupt');

  const turnId = last.turnId;
  const view = await app(options.replicaB).get(`/v1/sessions/${sessionId}/turns/${turnId}`);
  assert.equal(view.json.turn.status, 'failed');
  assert.equal(view.json.turn.error.code, 'cancelled');
  const again = await app(options.replicaB).post(`/v1/sessions/${sessionId}/turns/${turnId}/cancel`, {});
  assert.equal(again.status, 200, 'an ended turn answers its final view');
  assert.equal(again.json.turn.error.code, 'cancelled');

  const next = await app(options.replicaB).post(`/v1/sessions/${sessionId}/turns`, { input: 'still there?' });
  assert.equal(next.status, 200, next.text);
  assert.equal(next.json.turn.status, 'completed');
  const session = await app(options.replicaA).get(`/v1/sessions/${sessionId}`);
  assert.equal(session.json.status, 'idle');
  assert.equal(session.json.usage.turns, 2, 'the cancelled turn is counted and settled');
}

describe('resume a turn (embedded database, one process)', { skip: databaseUrl ? 'the embedded run covers it' : false }, () => {
  let emulator: ClaudeEmulator;
  let sb: TestBroker;
  let appKey: string;
  const agent = uniqueName('resume');

  before(async () => {
    emulator = await startClaudeEmulator({ pacingMs: 250 });
    sb = await startTestBroker({ SWITCHBOARD_CLAUDE_MODE: 'live', ANTHROPIC_API_KEY: 'sk-ant-test', ANTHROPIC_BASE_URL: emulator.url });
    const tenantId = (await sb.operator.post('/v1/tenants', { name: uniqueName('resume') })).json.id as string;
    await grantTargets(sb, tenantId, { claude: emulator.demoTarget });
    const adminKey = (await sb.operator.post(`/v1/tenants/${tenantId}/api-keys`, { role: 'admin', name: 'admin' })).json.key as string;
    appKey = (await sb.operator.post(`/v1/tenants/${tenantId}/api-keys`, { role: 'app', name: 'app' })).json.key as string;
    const agentCreated = await sb.as(adminKey).post('/v1/agents', { name: agent, defaultProvider: 'claude', targets: { claude: emulator.demoTarget } });
    assert.equal(agentCreated.status, 201, agentCreated.text);
  });
  after(async () => {
    await sb.close();
    await emulator.stop();
  });

  test('a client that lost its stream resumes it with Last-Event-ID: the rest once, in order, to turn.completed', async () => {
    await resumeScenario({ replicaA: sb.url, replicaB: sb.url, appKey, agent });
  });

  test('cancel a streaming turn: turn.failed cancelled, Claude interrupted, the session usable', async () => {
    await cancelScenario({ replicaA: sb.url, replicaB: sb.url, appKey, agent, emulator });
  });

  test('a follower whose turn is ended elsewhere (the reaper, for a dead replica) ends with that turn.failed', async () => {
    const headers = { authorization: `Bearer ${appKey}`, 'x-end-user': 'u-lost', 'content-type': 'application/json' };
    const app = new HttpClient(sb.url, headers);
    const sessionId = (await app.post('/v1/sessions', { agent })).json.id as string;
    const sql = <T>(text: string, parameters: unknown[] = []) => sb.broker.database.database.query<T>(text, parameters);
    // The provider never answers: the turn runs until something ends it, as on a replica that died.
    emulator.faults.add('turns.run', { kind: 'stall' });
    const stalled = fetch(`${sb.url}/v1/sessions/${sessionId}/turns`, { method: 'POST', headers: { ...headers, accept: 'text/event-stream' }, body: JSON.stringify({ input: 'hello?' }) }).then((response) => response.text());
    let turnId: string | undefined;
    while (!turnId) {
      turnId = (await sql<{ id: string }>(`SELECT id FROM turns WHERE session_id = $1`, [sessionId]))[0]?.id;
      if (!turnId) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const followed = readStream(
      `${sb.url}/v1/sessions/${sessionId}/turns/${turnId}/events`,
      { method: 'GET', headers: { ...headers, accept: 'text/event-stream' } },
      () => false,
      (event) => {
        if (event.type !== 'turn.started') return;
        // What the reaper's lost-turn sweep writes: the turn.failed event and the turn's row, with no notification on the bus.
        void sql(
          `WITH failed AS (
             INSERT INTO session_events (tenant_id, session_id, seq, id, turn_id, type, at, data)
             SELECT tenant_id, id, 1000, 'evt_lost_' || $2, $2, 'turn.failed', now(), '{"error":{"code":"turn_lost","message":"the replica running the turn was lost"}}'::jsonb FROM sessions WHERE id = $1
           )
           UPDATE turns SET status = 'failed', ended_at = now() WHERE id = $2`,
          [sessionId, turnId],
        );
      },
    );
    const { events } = await followed;
    assert.deepEqual(events.map((event) => event.type), ['turn.started', 'turn.failed']);
    assert.equal(events[1].seq, 1000);
    assert.equal((events[1].data.error as { code: string }).code, 'turn_lost');
    // The stalled turn itself ends with its session.
    assert.equal((await app.delete(`/v1/sessions/${sessionId}`)).status, 200);
    await stalled;
  });
});

const operatorKey = `sbk_test_operator_${randomBytes(16).toString('hex')}`;

describe('resume a turn on the other replica (PostgreSQL, two processes)', { skip: databaseUrl ? false : 'needs PostgreSQL (DATABASE_URL): the embedded database admits one process' }, () => {
  let emulator: ClaudeEmulator;
  const replicas: BrokerProcess[] = [];
  let appKey: string;
  const agent = uniqueName('resume');

  before(async () => {
    emulator = await startClaudeEmulator({ pacingMs: 250 });
    for (let index = 0; index < 2; index++) {
      replicas.push(
        await spawnBroker({
          DATABASE_URL: databaseUrl!,
          SWITCHBOARD_ADMIN_KEY: operatorKey,
          SWITCHBOARD_SEED_DEMO: 'off',
          ...claudeLiveOnly(emulator.url),
        }),
      );
    }
    const operator = new HttpClient(replicas[0].url, { authorization: `Bearer ${operatorKey}` });
    const tenantId = (await operator.post('/v1/tenants', { name: uniqueName('resume') })).json.id as string;
    await grantTargets({ operator }, tenantId, { claude: emulator.demoTarget });
    const adminKey = (await operator.post(`/v1/tenants/${tenantId}/api-keys`, { role: 'admin', name: 'admin' })).json.key as string;
    appKey = (await operator.post(`/v1/tenants/${tenantId}/api-keys`, { role: 'app', name: 'app' })).json.key as string;
    const agentCreated = await new HttpClient(replicas[1].url, { authorization: `Bearer ${adminKey}` }).post('/v1/agents', { name: agent, defaultProvider: 'claude', targets: { claude: emulator.demoTarget } });
    assert.equal(agentCreated.status, 201, agentCreated.text);
  });
  after(async () => {
    for (const replica of replicas) replica.child.kill('SIGTERM');
    await Promise.all(replicas.map((replica) => replica.exited));
    await emulator.stop();
  });

  test('start on A, read a few events, disconnect, resume on B with Last-Event-ID: the rest once, in order, to turn.completed', async () => {
    await resumeScenario({ replicaA: replicas[0].url, replicaB: replicas[1].url, appKey, agent });
  });

  test('cancel on B a turn streaming on A: turn.failed cancelled, Claude interrupted, the session usable', async () => {
    await cancelScenario({ replicaA: replicas[0].url, replicaB: replicas[1].url, appKey, agent, emulator });
  });
});
