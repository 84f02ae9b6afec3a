import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { checkedLookup, isNonPublicAddress } from './webhook-targets.js';
import { webhookSignature } from './webhook-signature.js';

test('non-public addresses: loopback, private, link-local, CGNAT, mapped IPv6; public ones pass', () => {
  for (const address of ['127.0.0.1', '127.8.9.10', '10.0.0.1', '172.16.5.4', '172.31.255.255', '192.168.0.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '224.0.0.1', '::1', '::', 'fe80::1', 'fd00::1', '::ffff:127.0.0.1', '::ffff:10.0.0.1', 'not-an-ip']) {
    assert.equal(isNonPublicAddress(address), true, address);
  }
  for (const address of ['93.184.215.14', '8.8.8.8', '172.32.0.1', '2606:4700::1111', '::ffff:8.8.8.8']) {
    assert.equal(isNonPublicAddress(address), false, address);
  }
});

test('at delivery, a name that resolves to loopback is refused before any connection; allowed when private targets are', async () => {
  let connections = 0;
  const server = createServer((_request, response) => response.end('ok')).on('connection', () => connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const post = (allowPrivate: boolean) =>
    new Promise<string>((resolve) => {
      const outgoing = request({ host: 'localhost', port, method: 'POST', family: 4, lookup: checkedLookup(allowPrivate) }, (response) => {
        response.resume();
        resolve(`status ${response.statusCode}`);
      });
      outgoing.on('error', (error: NodeJS.ErrnoException) => resolve(`error ${error.code}`));
      outgoing.end();
    });
  try {
    assert.equal(await post(false), 'error refused_target');
    assert.equal(connections, 0);
    assert.equal(await post(true), 'status 200');
  } finally {
    server.close();
  }
});

test('signatures match the Standard Webhooks example vector', () => {
  // The Standard Webhooks test vector the reference libraries check against.
  const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
  const body = '{"test": 2432232314}';
  assert.equal(webhookSignature(secret, 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, body), 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
});
