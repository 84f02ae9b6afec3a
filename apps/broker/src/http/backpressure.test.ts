import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import http from 'node:http';
import net from 'node:net';
import { drainedOrGone } from './backpressure.js';

test('a writer waiting for a client that stopped reading is released when the client goes away', async () => {
  let settled: Promise<'released'> | undefined;
  const server = http.createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'application/octet-stream' });
    const chunk = Buffer.alloc(64 * 1024, 1);
    // Fill every buffer between here and the client, which reads nothing: write until the socket stops draining.
    void (async () => {
      for (;;) {
        while (response.write(chunk));
        const drainedSoon = await Promise.race([once(response, 'drain').then(() => true), new Promise<false>((resolve) => setTimeout(() => resolve(false), 300))]);
        if (!drainedSoon) break;
      }
      settled = drainedOrGone(response).then(() => 'released' as const);
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  const client = net.connect(port, '127.0.0.1');
  client.write('GET / HTTP/1.1\r\nhost: x\r\n\r\n');
  client.pause();
  for (let waited = 0; !settled && waited < 20_000; waited += 10) await new Promise((resolve) => setTimeout(resolve, 10));
  assert.ok(settled, 'the server filled the buffers and waited');
  const stillWaiting = await Promise.race([settled, new Promise((resolve) => setTimeout(() => resolve('waiting'), 200))]);
  assert.equal(stillWaiting, 'waiting', 'a client that reads nothing never drains');
  client.destroy();
  try {
    assert.equal(await Promise.race([settled, new Promise((resolve) => setTimeout(() => resolve('still waiting'), 5_000))]), 'released');
  } finally {
    server.closeAllConnections();
    server.close();
  }
});

test('a finished response is not waited for', async () => {
  const server = http.createServer((_request, response) => response.end('done'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  let finished: http.ServerResponse | undefined;
  server.on('request', (_request, response: http.ServerResponse) => (finished = response));
  await fetch(`http://127.0.0.1:${port}/`).then((response) => response.text());
  await drainedOrGone(finished!);
  server.close();
});
