import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createTenantWithKeys, startTestBroker, uniqueName, type TestBroker } from '../support/test-broker.js';

const jsonBytes = (value: unknown) => Buffer.byteLength(JSON.stringify(value));

interface StoredEvent {
  seq: number;
  type: string;
  data: Record<string, unknown>;
}

/**
 * Issue 23 item 5: no request holds an unbounded amount of transcript. A
 * turn input over TURN_INPUT_MAX_BYTES is 413; a provider event over
 * EVENT_CONTENT_MAX_BYTES is stored cut down with a marker, the turn not
 * failed; an events page stops at EVENTS_PAGE_MAX_BYTES and its cursor
 * continues.
 */
describe('transcript size limits', () => {
  let sb: TestBroker;
  let app: ReturnType<TestBroker['as']>;
  let agent: string;
  const pageMaxBytes = 64 * 1024;
  const contentMaxBytes = 100 * 1024;

  before(async () => {
    sb = await startTestBroker({ TURN_INPUT_MAX_BYTES: '64kb', EVENT_CONTENT_MAX_BYTES: '100kb', EVENTS_PAGE_MAX_BYTES: '64kb' });
    const { keys } = await createTenantWithKeys(sb, ['app', 'admin']);
    agent = uniqueName('sizes');
    const created = await sb.as(keys.admin.key).post('/v1/agents', { name: agent, defaultProvider: 'claude', targets: { claude: sb.broker.runtimes.demoTargets().claude } });
    assert.equal(created.status, 201, created.text);
    app = sb.as(keys.app.key, { 'x-end-user': 'u-sizes' });
  });
  after(() => sb.close());

  const newSession = async () => {
    const session = await app.post('/v1/sessions', { agent });
    assert.equal(session.status, 201, session.text);
    return session.json.id as string;
  };
  /** The whole transcript, page after page. */
  const transcript = async (sessionId: string): Promise<StoredEvent[]> => {
    const events: StoredEvent[] = [];
    for (let after: number | null = 0; after !== null; ) {
      const page = await app.get(`/v1/sessions/${sessionId}/events?after=${after}&limit=1000`);
      assert.equal(page.status, 200, page.text.slice(0, 300));
      events.push(...(page.json.data as StoredEvent[]));
      after = page.json.nextAfter as number | null;
    }
    return events;
  };

  test('a turn input over TURN_INPUT_MAX_BYTES is 413 payload_too_large problem+json, in both modes, and nothing runs', async () => {
    const sessionId = await newSession();
    for (const accept of ['application/json', 'text/event-stream']) {
      for (const input of ['é'.repeat(33 * 1024), [{ type: 'text', text: 'a'.repeat(40 * 1024) }, { type: 'text', text: 'b'.repeat(30 * 1024) }]]) {
        const refused = await app.post(`/v1/sessions/${sessionId}/turns`, { input }, { accept });
        assert.equal(refused.status, 413, refused.text.slice(0, 300));
        assert.match(refused.headers.get('content-type') ?? '', /^application\/problem\+json/);
        assert.equal(refused.json.code, 'payload_too_large');
        assert.equal(refused.json.limitBytes, 64 * 1024);
      }
    }
    assert.deepEqual(await transcript(sessionId), [], 'no turn was started');
    const accepted = await app.post(`/v1/sessions/${sessionId}/turns`, { input: 'a'.repeat(60 * 1024) });
    assert.equal(accepted.status, 200, 'an input under the limit runs');
  });

  test('a provider event over EVENT_CONTENT_MAX_BYTES is stored cut down with a marker; the turn completes', async () => {
    const sessionId = await newSession();
    // The emulated agent echoes the input and runs it through a tool: a reply of ~120 KB for 60 KB of input.
    const input = `tool ${'z'.repeat(60 * 1024)}`;
    const turn = await app.post(`/v1/sessions/${sessionId}/turns`, { input });
    assert.equal(turn.status, 200, turn.text.slice(0, 300));
    assert.equal(turn.json.turn.status, 'completed');
    const events = await transcript(sessionId);
    assert.deepEqual(events.map((event) => event.type), ['turn.started', 'tool.call', 'tool.result', 'message.completed', 'turn.completed']);
    const reply = events.find((event) => event.type === 'message.completed')!;
    assert.ok(jsonBytes(reply.data) <= contentMaxBytes, `the stored reply is ${jsonBytes(reply.data)} bytes`);
    const marker = reply.data.truncated as { originalBytes: number; maxBytes: number };
    assert.equal(marker.maxBytes, contentMaxBytes);
    assert.ok(marker.originalBytes > contentMaxBytes);
    const text = (reply.data.content as Array<{ text: string }>)[0].text;
    assert.ok(text.startsWith('Turn 1. You said: "tool zzz'), text.slice(0, 50));
    assert.ok(text.endsWith('…[truncated]'));
    assert.equal(turn.json.turn.output[0].text, text, 'the JSON answer carries what was stored');
    const started = events.find((event) => event.type === 'turn.started')!;
    assert.equal(started.data.truncated, undefined, 'the input was stored whole');
  });

  test('an events page stops at EVENTS_PAGE_MAX_BYTES; following nextAfter reads every event once', async () => {
    const sessionId = await newSession();
    // Each turn stores its input (30 KB) and the reply (30 KB, then 60 KB: it recalls the turn before).
    for (let turn = 0; turn < 3; turn++) {
      const ran = await app.post(`/v1/sessions/${sessionId}/turns`, { input: `${turn}`.repeat(30 * 1024) });
      assert.equal(ran.status, 200, ran.text.slice(0, 300));
    }
    const pages: StoredEvent[][] = [];
    let after = 0;
    for (;;) {
      const page = await app.get(`/v1/sessions/${sessionId}/events?after=${after}&limit=1000`);
      assert.equal(page.status, 200);
      const data = page.json.data as StoredEvent[];
      pages.push(data);
      const bytes = data.reduce((sum, event) => sum + jsonBytes(event.data), 0);
      assert.ok(data.length === 1 || bytes <= pageMaxBytes, `page ${pages.length}: ${data.length} events, ${bytes} bytes of data`);
      if (page.json.nextAfter === null) break;
      assert.equal(page.json.nextAfter, data.at(-1)!.seq);
      after = page.json.nextAfter;
      assert.ok(pages.length < 20, 'paging ends');
    }
    assert.ok(pages.length > 1, 'the transcript did not fit one page');
    const all = pages.flat();
    assert.deepEqual(
      all.map((event) => event.type),
      ['turn.started', 'message.completed', 'turn.completed', 'turn.started', 'message.completed', 'turn.completed', 'turn.started', 'message.completed', 'turn.completed'],
    );
    assert.deepEqual(all.map((event) => event.seq), [...all.map((event) => event.seq)].sort((a, b) => a - b));
    assert.equal(new Set(all.map((event) => event.seq)).size, all.length);
    // Paging by rows keeps its contract.
    const byRows = await app.get(`/v1/sessions/${sessionId}/events?limit=2`);
    assert.equal(byRows.json.data.length, 2);
    assert.equal(byRows.json.nextAfter, byRows.json.data[1].seq);
  });
});
