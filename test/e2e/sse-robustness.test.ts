import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { parseSse } from '../support/sse.js';
import { createTenantWithKeys, startTestBroker, uniqueName, type TestBroker } from '../support/test-broker.js';

/** A client that sends one request and then stops reading: the server's socket buffers fill up. */
function stalledRequest(url: string, path: string, headers: Record<string, string>, body: string): { socket: Socket; readAll(): Promise<string> } {
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port), hostname);
  const chunks: Buffer[] = [];
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.on('error', () => undefined); // a reset is an outcome the test reads from what arrived
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  socket.pause();
  const head = Object.entries({ ...headers, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) })
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');
  socket.write(`POST ${path} HTTP/1.0\r\nHost: broker\r\nConnection: close\r\n${head}\r\n${body}`);
  return {
    socket,
    async readAll() {
      socket.resume();
      await closed;
      return Buffer.concat(chunks).toString('utf8');
    },
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Issue 23 item 3: a database error while an event stream is open, to a
 * client that does not read, used to end the response under a running
 * heartbeat (ERR_STREAM_WRITE_AFTER_END, an unhandled 'error': the process
 * died). The broker must stay up, and the stream end with an `error` event.
 */
describe('an open event stream survives a database error', () => {
  let sb: TestBroker;
  let app: ReturnType<TestBroker['as']>;
  let appKey: string;
  let agent: string;
  const heartbeatMs = 100;

  before(async () => {
    sb = await startTestBroker({
      SSE_HEARTBEAT_MS: String(heartbeatMs),
      // Large enough that the whole turn is buffered for the stalled client (the bound is item 4's own test).
      SSE_MAX_BUFFERED_BYTES: '256mb',
      BODY_LIMIT: '16mb',
      TURN_INPUT_MAX_BYTES: '16mb',
      EVENT_CONTENT_MAX_BYTES: '64mb',
    });
    const { keys } = await createTenantWithKeys(sb, ['app', 'admin']);
    appKey = keys.app.key;
    agent = uniqueName('sse');
    const created = await sb.as(keys.admin.key).post('/v1/agents', { name: agent, defaultProvider: 'claude', targets: { claude: sb.broker.runtimes.demoTargets().claude } });
    assert.equal(created.status, 201, created.text);
    app = sb.as(appKey, { 'x-end-user': 'u-sse' });
  });
  after(() => sb.close());

  const sql = <T = Record<string, unknown>>(text: string, parameters: unknown[] = []) => sb.broker.database.database.query<T>(text, parameters);

  test('the turn’s record fails under a stalled stream: the broker stays up, the stream ends with an error event', async () => {
    const session = await app.post('/v1/sessions', { agent });
    assert.equal(session.status, 201, session.text);
    const sessionId = session.json.id as string;
    // The emulated agent echoes the input, runs it through a tool and recalls the turn before: ~8 MB of
    // events for 0.9 MB of input (the emulator takes at most 1 MB), more than the loopback buffers hold.
    const input = [{ type: 'text', text: 'tool' }, ...Array.from({ length: 5 }, () => ({ type: 'text', text: 'x'.repeat(180_000) }))];
    const first = await app.post(`/v1/sessions/${sessionId}/turns`, { input });
    assert.equal(first.status, 200, first.text.slice(0, 500));
    // The end of this session's turn cannot be stored; a sequence (not rolled back) counts the attempts.
    const tag = sessionId.replace(/[^a-z0-9]/gi, '_').toLowerCase();
    await sql(`CREATE SEQUENCE fault_${tag}`);
    await sql(`GRANT USAGE ON SEQUENCE fault_${tag} TO PUBLIC`);
    await sql(
      `CREATE FUNCTION fault_${tag}() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER AS $$
       BEGIN PERFORM nextval('fault_${tag}'); RAISE EXCEPTION 'injected fault'; END $$`,
    );
    await sql(
      `CREATE TRIGGER fault_${tag} BEFORE INSERT ON session_events FOR EACH ROW
       WHEN (NEW.session_id = '${sessionId}' AND NEW.type = 'turn.completed') EXECUTE FUNCTION fault_${tag}()`,
    );
    try {
      const stalled = stalledRequest(sb.url, `/v1/sessions/${sessionId}/turns`, { authorization: `Bearer ${appKey}`, 'x-end-user': 'u-sse', accept: 'text/event-stream' }, JSON.stringify({ input }));
      for (let polls = 0; ; polls++) {
        const [{ is_called: hit }] = await sql<{ is_called: boolean }>(`SELECT is_called FROM fault_${tag}`);
        if (hit) break;
        if (polls > 1200) assert.fail(`the turn never reached its record: ${(await stalled.readAll()).slice(0, 2000)}`);
        await sleep(50);
      }
      // Several heartbeats go by with the response ended and its data still unsent.
      await sleep(heartbeatMs * 10);
      assert.equal((await sb.anonymous.get('/healthz')).status, 200, 'the broker answers');

      const events = parseSse((await stalled.readAll()).split('\r\n\r\n').slice(1).join('\r\n\r\n'));
      assert.equal(events[0]?.event, 'turn.started');
      const last = events.at(-1);
      assert.equal(last?.event, 'error', `the stream ends with an error event, not ${last?.event}`);
      assert.equal(last?.data.code, 'internal');
      assert.equal(last?.data.status, 500);
      assert.ok(!events.some((event) => event.event === 'turn.completed'), 'no turn.completed was claimed for a turn that was not recorded');
    } finally {
      await sql(`DROP TRIGGER fault_${tag} ON session_events`);
      await sql(`DROP FUNCTION fault_${tag}()`);
      await sql(`DROP SEQUENCE fault_${tag}`);
    }
    // And the broker still runs turns.
    const next = await app.post('/v1/sessions', { agent });
    assert.equal(next.status, 201, next.text);
    const turn = await app.post(`/v1/sessions/${next.json.id}/turns`, { input: 'still there?' });
    assert.equal(turn.status, 200, turn.text);
  });
});

/**
 * Issue 23 item 4: a client that stops reading used to have every event of
 * its turn buffered in the broker's heap. Past SSE_MAX_BUFFERED_BYTES the
 * connection is dropped; the turn goes on, is recorded, and reads back.
 */
describe('a stalled event stream is dropped, its turn is not', () => {
  let sb: TestBroker;
  let app: ReturnType<TestBroker['as']>;
  let appKey: string;
  let agent: string;

  before(async () => {
    sb = await startTestBroker({ SSE_MAX_BUFFERED_BYTES: '64kb' });
    const { keys } = await createTenantWithKeys(sb, ['app', 'admin']);
    appKey = keys.app.key;
    agent = uniqueName('stall');
    const created = await sb.as(keys.admin.key).post('/v1/agents', { name: agent, defaultProvider: 'claude', targets: { claude: sb.broker.runtimes.demoTargets().claude } });
    assert.equal(created.status, 201, created.text);
    app = sb.as(appKey, { 'x-end-user': 'u-stall' });
  });
  after(() => sb.close());

  test('past the bound the connection is closed; the turn completes and its events read back in full', async () => {
    const session = await app.post('/v1/sessions', { agent });
    assert.equal(session.status, 201, session.text);
    const sessionId = session.json.id as string;
    // ~6 MB of events for 0.9 MB of input (echoed, and run through a tool).
    const input = [{ type: 'text', text: 'tool' }, ...Array.from({ length: 5 }, () => ({ type: 'text', text: 'y'.repeat(180_000) }))];
    const stalled = stalledRequest(sb.url, `/v1/sessions/${sessionId}/turns`, { authorization: `Bearer ${appKey}`, 'x-end-user': 'u-stall', accept: 'text/event-stream' }, JSON.stringify({ input }));
    let stored: Array<{ type: string; data: Record<string, unknown> }> = [];
    for (let polls = 0; !stored.some((event) => event.type === 'turn.completed'); polls++) {
      if (polls > 600) assert.fail(`the turn did not complete: ${JSON.stringify(stored.map((event) => event.type))}`);
      await sleep(50);
      stored = [];
      // Page after page: these events are over the default page size.
      for (let after: number | null = 0; after !== null; ) {
        const page = await app.get(`/v1/sessions/${sessionId}/events?after=${after}&limit=1000`);
        assert.equal(page.status, 200, page.text.slice(0, 300));
        stored.push(...(page.json.data as typeof stored));
        after = page.json.nextAfter as number | null;
      }
    }
    const received = await stalled.readAll();
    assert.match(received, /^HTTP\/1\.1 200 /, 'the stream had opened');
    const events = parseSse(received.split('\r\n\r\n').slice(1).join('\r\n\r\n').replace(/\n\n[^\n]*$/, '\n\n'));
    assert.ok(!events.some((event) => event.event === 'turn.completed'), `the stalled client was cut off before the end (${events.map((event) => event.event).join(', ')})`);
    assert.ok(received.length < 2 * 1024 * 1024, `the client received ${received.length} bytes, less than the turn's events`);
    assert.deepEqual(
      stored.map((event) => event.type),
      ['turn.started', 'tool.call', 'tool.result', 'message.completed', 'turn.completed'],
    );
    const reply = stored.find((event) => event.type === 'message.completed')!.data as { content: Array<{ text: string }> };
    assert.ok(reply.content[0].text.includes('y'.repeat(180_000)), 'the recorded reply is whole');
    assert.equal((await sb.anonymous.get('/healthz')).status, 200);
  });
});
