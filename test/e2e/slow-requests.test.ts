import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { parseSse } from '../support/sse.js';
import { createTenantWithKeys, startTestBroker, type TestBroker } from '../support/test-broker.js';

interface Dribbled {
  /** Everything the server sent back before the connection closed. */
  received: string;
  /** How many of the dribbled bytes went out before the server closed the connection. */
  sent: number;
  closedAfterMs: number;
}

/**
 * A client that writes `head` at once, then `tail` one byte every `everyMs`,
 * and reads until the server closes the connection (or the tail is done and
 * the server answered).
 */
function dribble(url: string, head: string, tail: string, everyMs: number): Promise<Dribbled> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const socket = connect(Number(port), hostname);
    let received = '';
    let sent = 0;
    let timer: NodeJS.Timeout | undefined;
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (received += chunk));
    socket.on('error', () => undefined); // a reset after the server's close is expected; 'close' follows
    socket.on('close', () => {
      clearInterval(timer);
      resolve({ received, sent, closedAfterMs: Date.now() - started });
    });
    socket.on('connect', () => {
      socket.write(head);
      timer = setInterval(() => {
        if (sent === tail.length) {
          clearInterval(timer);
          // The whole request went out; give the server a moment to answer, then hang up.
          setTimeout(() => socket.end(), 1000);
          return;
        }
        if (!socket.destroyed) socket.write(tail[sent++]);
      }, everyMs);
    });
    socket.setTimeout(60_000, () => reject(new Error(`no close after 60 s; received: ${received}`)));
  });
}

/**
 * HTTP_REQUEST_TIMEOUT_MS bounds how long a client may take to send its
 * request (Node's default is 300 s); it does not bound the response, so a
 * streamed turn runs on.
 */
describe('slow requests are cut off; long responses are not', () => {
  let sb: TestBroker;
  let appKey: string;
  let sessionId: string;

  before(async () => {
    sb = await startTestBroker({ HTTP_REQUEST_TIMEOUT_MS: '1000' });
    const { keys } = await createTenantWithKeys(sb, ['app', 'admin']);
    appKey = keys.app.key;
    const agent = await sb.as(keys.admin.key).post('/v1/agents', { name: 'slow', defaultProvider: 'claude', targets: { claude: sb.broker.runtimes.demoTargets().claude } });
    assert.equal(agent.status, 201, agent.text);
    const session = await sb.as(appKey, { 'x-end-user': 'u-1' }).post('/v1/sessions', { agent: 'slow' });
    assert.equal(session.status, 201, session.text);
    sessionId = session.json.id;
  });
  after(() => sb.close());

  test('a body dribbled over six seconds is cut off with 408 problem+json before it is complete', async () => {
    const body = JSON.stringify({ input: 'x'.repeat(40) });
    const head =
      `POST /v1/sessions/${sessionId}/turns HTTP/1.1\r\nHost: broker\r\nAuthorization: Bearer ${appKey}\r\nX-End-User: u-1\r\n` +
      `Content-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`;
    const result = await dribble(sb.url, head, body, 6000 / body.length);
    assert.ok(result.sent < body.length, `the connection outlived the body (${result.sent} of ${body.length} bytes, ${result.closedAfterMs} ms)`);
    assert.match(result.received, /^HTTP\/1\.1 408 /);
    assert.match(result.received, /\r\nContent-Type: application\/problem\+json\r\n/i);
    const problem = JSON.parse(result.received.slice(result.received.indexOf('\r\n\r\n') + 4));
    assert.deepEqual([problem.status, problem.code], [408, 'request_timeout']);
  });

  test('headers dribbled over six seconds are cut off the same way', async () => {
    const headers = `GET /v1/me HTTP/1.1\r\nHost: broker\r\nAuthorization: Bearer ${appKey}\r\nX-End-User: u-1\r\n\r\n`;
    const result = await dribble(sb.url, headers.slice(0, 10), headers.slice(10), 6000 / headers.length);
    assert.ok(result.sent < headers.length - 10, `the connection outlived the headers (${result.closedAfterMs} ms)`);
    assert.match(result.received, /^HTTP\/1\.1 408 /);
  });

  test('a streamed turn that runs longer than the request timeout completes, and the broker serves on', async () => {
    const emulator = sb.broker.runtimes.emulator<{ faults: { add(op: string, fault: object): void } }>('claude')!;
    emulator.faults.add('turns.run', { kind: 'delay', ms: 2500 });
    const started = Date.now();
    const response = await sb
      .as(appKey, { 'x-end-user': 'u-1', accept: 'text/event-stream' })
      .post(`/v1/sessions/${sessionId}/turns`, { input: 'take your time' });
    assert.equal(response.status, 200, response.text);
    assert.ok(Date.now() - started >= 2500, 'the turn was held past the request timeout');
    const events = parseSse(response.text);
    assert.equal(events.at(-1)?.event, 'turn.completed', response.text);
    assert.equal((await sb.anonymous.get('/healthz')).status, 200);
  });

  test('Node’s other refusals (malformed HTTP, oversized headers) are problem+json too', async () => {
    const malformed = await dribble(sb.url, 'NOT HTTP AT ALL\r\n\r\n', '', 10);
    assert.match(malformed.received, /^HTTP\/1\.1 400 /);
    assert.equal(JSON.parse(malformed.received.slice(malformed.received.indexOf('\r\n\r\n') + 4)).code, 'invalid_request');
    const oversized = await dribble(sb.url, `GET /healthz HTTP/1.1\r\nHost: broker\r\nX-Big: ${'x'.repeat(20_000)}\r\n\r\n`, '', 10);
    assert.match(oversized.received, /^HTTP\/1\.1 431 /);
    assert.equal(JSON.parse(oversized.received.slice(oversized.received.indexOf('\r\n\r\n') + 4)).code, 'headers_too_large');
  });
});
