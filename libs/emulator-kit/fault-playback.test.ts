import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { playTransportFault } from './fault-playback.js';
import type { Fault } from './fault-plan.js';

/** One request to a server that plays `fault` then answers 200 "done" if told to continue. */
async function callWith(fault: Exclude<Fault, { kind: 'status' }>, streaming: boolean): Promise<{ outcome: string; elapsedMs: number }> {
  const server = createServer((_req, res) => {
    void playTransportFault(fault, res, { streaming }).then((result) => {
      if (result === 'continue') res.end('done');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const started = performance.now();
  try {
    const outcome = await new Promise<string>((resolve) => {
      const req = request({ port: (server.address() as AddressInfo).port, host: '127.0.0.1', timeout: 300 }, (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk.toString()));
        res.on('end', () => resolve(body));
      });
      req.on('timeout', () => {
        req.destroy();
        resolve('no answer');
      });
      req.on('error', () => resolve('connection dropped'));
      req.end();
    });
    return { outcome, elapsedMs: performance.now() - started };
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}

test('delay waits, then the call is served', async () => {
  const { outcome, elapsedMs } = await callWith({ kind: 'delay', ms: 60, times: 1 }, false);
  assert.equal(outcome, 'done');
  assert.ok(elapsedMs >= 55, `answered after ${elapsedMs} ms`);
});

test('stall never answers; truncate drops the connection', async () => {
  assert.equal((await callWith({ kind: 'stall', times: 1 }, false)).outcome, 'no answer');
  assert.equal((await callWith({ kind: 'truncate', afterEvents: 0, times: 1 }, false)).outcome, 'connection dropped');
});

test('a streaming route keeps the fault for the stream to play', async () => {
  assert.equal((await callWith({ kind: 'truncate', afterEvents: 2, times: 1 }, true)).outcome, 'done');
});
