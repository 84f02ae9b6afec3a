import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { startClaudeEmulator, type ClaudeEmulator } from '#providers/claude';
import { claudeLiveOnly } from '../support/claude-live.js';
import { spawnBroker, type BrokerProcess } from '../support/broker-process.js';
import { HttpClient } from '../support/http-client.js';
import { parseSse, type ReceivedEvent } from '../support/sse.js';
import { grantTargets } from '../support/target-grants.js';
import { createTenantWithKeys, startTestBroker, type TestBroker } from '../support/test-broker.js';

const databaseUrl = process.env.DATABASE_URL;
const sse = { accept: 'text/event-stream' };
/** An input the deterministic agent echoes back in many chunks, so its turn streams for a while at the emulator's pacing. */
const longInput = `please repeat ${'every word of this long request '.repeat(12)}`;

/** Posts a streamed turn and stops reading after `count` events, as a client whose connection drops. */
async function streamThenDrop(client: HttpClient, path: string, body: unknown, headers: Record<string, string>, count: number): Promise<ReceivedEvent[]> {
  const abort = new AbortController();
  const response = await fetch(client.baseUrl + path, {
    method: 'POST',
    headers: { ...(client as unknown as { defaults: Record<string, string> }).defaults, 'content-type': 'application/json', ...sse, ...headers },
    body: JSON.stringify(body),
    signal: abort.signal,
  });
  assert.equal(response.status, 200);
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    text += decoder.decode(value, { stream: true });
    const complete = text.slice(0, text.lastIndexOf('\n\n') + 2);
    if (parseSse(complete).length >= count) {
      abort.abort();
      return parseSse(complete);
    }
  }
  throw new Error(`the stream ended before ${count} events: ${text}`);
}

/** The stored (non-delta) events of an SSE body, in order, each seq once. */
function storedEvents(events: ReceivedEvent[]): ReceivedEvent[] {
  return events.filter((event) => event.event !== 'message.delta');
}

async function tenantWithSession(broker: TestBroker, emulator: ClaudeEmulator, user = 'u-1'): Promise<{ app: HttpClient; sessionId: string; appKey: string }> {
  const { tenantId, keys } = await createTenantWithKeys(broker, ['admin', 'app']);
  await grantTargets(broker, tenantId, { claude: emulator.demoTarget });
  const admin = broker.as(keys.admin.key);
  assert.equal((await admin.post('/v1/agents', { name: 'keyed', defaultProvider: 'claude', targets: { claude: emulator.demoTarget } })).status, 201);
  const app = broker.as(keys.app.key, { 'x-end-user': user });
  const created = await app.post('/v1/sessions', { agent: 'keyed' });
  assert.equal(created.status, 201, created.text);
  return { app, sessionId: created.json.id as string, appKey: keys.app.key };
}

describe('idempotent turns (Idempotency-Key on POST /turns)', () => {
  let broker: TestBroker;
  let emulator: ClaudeEmulator;

  before(async () => {
    emulator = await startClaudeEmulator({ pacingMs: 20 });
    broker = await startTestBroker(claudeLiveOnly(emulator.url));
  });
  after(async () => {
    await broker.close();
    await emulator.stop();
  });

  test('the same key and body after the turn ended: the same turn again, JSON and SSE, and the provider ran it once', async () => {
    const { app, sessionId } = await tenantWithSession(broker, emulator);
    const runsBefore = emulator.stats.get('turns.run');
    const first = await app.post(`/v1/sessions/${sessionId}/turns`, { input: 'hello once' }, { 'idempotency-key': 'k-json' });
    assert.equal(first.status, 200, first.text);
    assert.equal(first.headers.get('idempotent-replayed'), null);
    const again = await app.post(`/v1/sessions/${sessionId}/turns`, { input: 'hello once' }, { 'idempotency-key': 'k-json' });
    assert.equal(again.status, 200, again.text);
    assert.equal(again.headers.get('idempotent-replayed'), 'true');
    assert.deepEqual(again.json, first.json);

    const streamed = await app.post(`/v1/sessions/${sessionId}/turns`, { input: 'stream once' }, { ...sse, 'idempotency-key': 'k-sse' });
    assert.equal(streamed.status, 200, streamed.text);
    const replay = await app.post(`/v1/sessions/${sessionId}/turns`, { input: 'stream once' }, { ...sse, 'idempotency-key': 'k-sse' });
    assert.equal(replay.status, 200, replay.text);
    assert.match(replay.headers.get('content-type') ?? '', /^text\/event-stream/);
    assert.equal(replay.headers.get('idempotent-replayed'), 'true');
    assert.deepEqual(parseSse(replay.text), storedEvents(parseSse(streamed.text)), 'the stored events of the same turn, ids and seqs included');
    assert.equal(emulator.stats.get('turns.run'), runsBefore + 2, 'two keys, two turns at the provider');

    const transcript = await app.get(`/v1/sessions/${sessionId}/events`);
    assert.equal(transcript.json.data.filter((event: { type: string }) => event.type === 'turn.started').length, 2);
  });

  test('the same key with another body is 409; a malformed key is 400; another user cannot use the session through a key', async () => {
    const { app, sessionId, appKey } = await tenantWithSession(broker, emulator);
    assert.equal((await app.post(`/v1/sessions/${sessionId}/turns`, { input: 'one' }, { 'idempotency-key': 'k-1' })).status, 200);
    const other = await app.post(`/v1/sessions/${sessionId}/turns`, { input: 'two' }, { 'idempotency-key': 'k-1' });
    assert.equal(other.status, 409, other.text);
    assert.equal(other.json.code, 'conflict');
    assert.match(other.headers.get('content-type') ?? '', /application\/problem\+json/);
    const malformed = await app.post(`/v1/sessions/${sessionId}/turns`, { input: 'one' }, { 'idempotency-key': 'has space' });
    assert.equal(malformed.status, 400, malformed.text);
    const stranger = broker.as(appKey, { 'x-end-user': 'u-2' });
    const foreign = await stranger.post(`/v1/sessions/${sessionId}/turns`, { input: 'one' }, { 'idempotency-key': 'k-1' });
    assert.equal(foreign.status, 404, foreign.text);
    assert.equal(foreign.json.turn, undefined);
  });

  test('a retry while the turn runs attaches to it: the client that dropped gets the rest of the same turn, the provider runs it once', async () => {
    const { app, sessionId } = await tenantWithSession(broker, emulator);
    const runsBefore = emulator.stats.get('turns.run');
    const path = `/v1/sessions/${sessionId}/turns`;
    const seen = await streamThenDrop(app, path, { input: longInput }, { 'idempotency-key': 'k-drop' }, 3);
    const turnId = seen[0].data.turnId as string;
    assert.equal(seen[0].event, 'turn.started');
    const retry = await app.post(path, { input: longInput }, { ...sse, 'idempotency-key': 'k-drop' });
    assert.equal(retry.status, 200, retry.text);
    assert.equal(retry.headers.get('idempotent-replayed'), 'true');
    const events = parseSse(retry.text);
    assert.ok(events.every((event) => event.data.turnId === turnId), 'every event is of the first request\'s turn');
    const seqs = events.map((event) => event.data.seq as number);
    assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b), 'in order');
    assert.equal(new Set(seqs).size, seqs.length, 'each once');
    assert.equal(events[0].event, 'turn.started');
    assert.equal(events.at(-1)!.event, 'turn.completed');
    assert.equal(emulator.stats.get('turns.run'), runsBefore + 1, 'one provider turn');
    const json = await app.post(path, { input: longInput }, { 'idempotency-key': 'k-drop' });
    assert.equal(json.status, 200, json.text);
    assert.equal(json.json.turn.id, turnId);
    assert.equal(json.json.turn.status, 'completed');
  });

  test('a turn the provider refused gives its key back: the retry of a 503 runs a new attempt', async () => {
    const { app, sessionId } = await tenantWithSession(broker, emulator);
    const path = `/v1/sessions/${sessionId}/turns`;
    emulator.faults.add('events.send', { kind: 'status', status: 503, times: 20 });
    let refused;
    try {
      refused = await app.post(path, { input: 'try me' }, { 'idempotency-key': 'k-503' });
    } finally {
      emulator.faults.clear();
    }
    assert.equal(refused.status, 503, refused.text);
    const retried = await app.post(path, { input: 'try me' }, { 'idempotency-key': 'k-503' });
    assert.equal(retried.status, 200, retried.text);
    assert.equal(retried.headers.get('idempotent-replayed'), null, 'a new attempt, not a replay of the refusal');
    assert.equal(retried.json.turn.status, 'completed');
  });
});

/**
 * The retry lands on the other replica: two broker processes on one
 * PostgreSQL database, Claude `live` against one emulator in this process.
 */
describe('an idempotent turn retried on the other replica', { skip: databaseUrl ? false : 'needs PostgreSQL (DATABASE_URL): the embedded database admits one process' }, () => {
  let emulator: ClaudeEmulator;
  const operatorKey = `sbk_test_operator_${randomBytes(16).toString('hex')}`;
  const replicas: BrokerProcess[] = [];

  before(async () => {
    emulator = await startClaudeEmulator({ pacingMs: 20 });
    for (let index = 0; index < 2; index++) {
      replicas.push(await spawnBroker({ DATABASE_URL: databaseUrl!, SWITCHBOARD_ADMIN_KEY: operatorKey, SWITCHBOARD_SEED_DEMO: 'off', ...claudeLiveOnly(emulator.url) }));
    }
  });
  after(async () => {
    for (const replica of replicas) replica.child.kill('SIGTERM');
    await Promise.all(replicas.map((replica) => replica.exited));
    await emulator.stop();
  });

  test('a client drops mid-stream on A and retries on B with the same key: the same turn to its end, one provider call', async () => {
    const operator = new HttpClient(replicas[0].url, { authorization: `Bearer ${operatorKey}` });
    const tenantId = (await operator.post('/v1/tenants', { name: `keyed-${randomBytes(4).toString('hex')}` })).json.id as string;
    await grantTargets({ operator }, tenantId, { claude: emulator.demoTarget });
    const adminKey = (await operator.post(`/v1/tenants/${tenantId}/api-keys`, { role: 'admin', name: 'admin' })).json.key as string;
    const appKey = (await operator.post(`/v1/tenants/${tenantId}/api-keys`, { role: 'app', name: 'app' })).json.key as string;
    const admin = new HttpClient(replicas[0].url, { authorization: `Bearer ${adminKey}` });
    assert.equal((await admin.post('/v1/agents', { name: 'keyed', defaultProvider: 'claude', targets: { claude: emulator.demoTarget } })).status, 201);
    const onA = new HttpClient(replicas[0].url, { authorization: `Bearer ${appKey}`, 'x-end-user': 'u-1' });
    const onB = new HttpClient(replicas[1].url, { authorization: `Bearer ${appKey}`, 'x-end-user': 'u-1' });
    const sessionId = (await onA.post('/v1/sessions', { agent: 'keyed' })).json.id as string;
    const runsBefore = emulator.stats.get('turns.run');
    const sendsBefore = emulator.stats.get('events.send');
    const path = `/v1/sessions/${sessionId}/turns`;

    const seen = await streamThenDrop(onA, path, { input: longInput }, { 'idempotency-key': 'k-replicas' }, 3);
    const turnId = seen[0].data.turnId as string;
    const retry = await onB.post(path, { input: longInput }, { ...sse, 'idempotency-key': 'k-replicas' });
    assert.equal(retry.status, 200, retry.text);
    assert.equal(retry.headers.get('idempotent-replayed'), 'true');
    const events = parseSse(retry.text);
    assert.ok(events.every((event) => event.data.turnId === turnId));
    const seqs = events.map((event) => event.data.seq as number);
    assert.equal(new Set(seqs).size, seqs.length, 'each event once');
    assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b), 'in order');
    assert.equal(events.at(-1)!.event, 'turn.completed');
    assert.equal(emulator.stats.get('turns.run') - runsBefore, 1, 'the provider ran one turn');
    assert.equal(emulator.stats.get('events.send') - sendsBefore, 1, 'one user.message sent');
    const view = await onB.post(path, { input: longInput }, { 'idempotency-key': 'k-replicas' });
    assert.equal(view.json.turn.id, turnId);
  });
});
