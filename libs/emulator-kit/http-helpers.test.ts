import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { openEventStream, readJsonBody, RequestBodyError, sendJson, untilClosed, writeEvent } from './http-helpers.js';

let server: Server;
let base: string;
let streamClosed: Promise<void> | undefined;

before(async () => {
  server = createServer((req, res) => {
    if (req.url === '/stream') {
      openEventStream(res, { 'x-extra': 'yes' });
      streamClosed = untilClosed(res);
      writeEvent(res, 'greeting', { hello: 'world' });
      return;
    }
    readJsonBody(req, 32).then(
      (body) => sendJson(res, 200, { body: body ?? null }, { 'x-echo': 'yes' }),
      (error: unknown) => {
        assert.ok(error instanceof RequestBodyError);
        sendJson(res, error.reason === 'too_large' ? 413 : 400, { reason: error.reason });
      },
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(() => {
  server.closeAllConnections();
  server.close();
});

const post = (body: string) => fetch(`${base}/json`, { method: 'POST', body, headers: { 'content-type': 'application/json' } });

test('a JSON body is parsed and echoed with headers', async () => {
  const response = await post('{"a":[1,2]}');
  assert.equal(response.status, 200);
  assert.equal(response.headers.get('content-type'), 'application/json');
  assert.equal(response.headers.get('x-echo'), 'yes');
  assert.deepEqual(await response.json(), { body: { a: [1, 2] } });
});

test('an empty body reads as undefined', async () => {
  assert.deepEqual(await (await post('')).json(), { body: null });
});

test('an oversized body is refused with the socket still able to answer', async () => {
  const response = await post(JSON.stringify({ text: 'x'.repeat(100) }));
  assert.equal(response.status, 413);
  assert.deepEqual(await response.json(), { reason: 'too_large' });
});

test('an oversized chunked body is refused too', async () => {
  const chunks = new ReadableStream({
    start(controller) {
      for (let index = 0; index < 10; index++) controller.enqueue(new TextEncoder().encode('0123456789'));
      controller.close();
    },
  });
  const response = await fetch(`${base}/json`, { method: 'POST', body: chunks, duplex: 'half' });
  assert.equal(response.status, 413);
});

test('invalid JSON is reported as such', async () => {
  const response = await post('{nope');
  assert.equal(response.status, 400);
  assert.deepEqual(await response.json(), { reason: 'invalid_json' });
});

test('an event stream delivers headers before the body ends and every message is named', async () => {
  const controller = new AbortController();
  const response = await fetch(`${base}/stream`, { signal: controller.signal });
  assert.equal(response.headers.get('content-type'), 'text/event-stream; charset=utf-8');
  assert.equal(response.headers.get('x-extra'), 'yes');
  const reader = response.body!.getReader();
  const { value } = await reader.read();
  assert.equal(new TextDecoder().decode(value), 'event: greeting\ndata: {"hello":"world"}\n\n');
  controller.abort();
  await streamClosed;
});

test('an event name with a newline is refused', () => {
  assert.throws(() => writeEvent({ write: () => true } as never, 'a\nb', {}), /one line/);
});
