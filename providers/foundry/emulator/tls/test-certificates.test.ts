import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import { Agent as HttpsAgent, createServer, request, type Agent } from 'node:https';
import type { AddressInfo } from 'node:net';
import { createEmulatorCertificates } from './test-certificates.js';

test('the CA is a self-signed CA and the server certificate is issued by it for the given hosts', () => {
  const made = createEmulatorCertificates(['127.0.0.1', 'localhost', '::1']);
  const ca = new X509Certificate(made.caCertificate);
  const server = new X509Certificate(made.certificate);
  assert.equal(ca.ca, true);
  assert.equal(server.ca, false);
  assert.ok(ca.verify(ca.publicKey), 'the CA signs itself');
  assert.ok(server.verify(ca.publicKey), 'the CA signed the server certificate');
  assert.ok(server.checkIssued(ca));
  assert.equal(server.subjectAltName, 'IP Address:127.0.0.1, DNS:localhost, IP Address:0:0:0:0:0:0:0:1');
  assert.equal(server.checkIP('127.0.0.1'), '127.0.0.1');
  assert.equal(server.checkHost('localhost'), 'localhost');
  assert.equal(server.checkHost('example.com'), undefined);
  assert.ok(new Date(server.validTo).getTime() > Date.now() + 300 * 24 * 3600 * 1000);
  assert.ok(server.keyUsage?.includes('1.3.6.1.5.5.7.3.1'), 'serverAuth');
});

test('a TLS client that trusts only the CA completes a handshake; one that does not is refused', async () => {
  const made = createEmulatorCertificates(['127.0.0.1']);
  const server = createServer({ cert: made.certificate, key: made.privateKey }, (_req, res) => res.end('ok'));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const get = (agent: Agent) =>
    new Promise<string>((resolve, reject) => {
      request({ host: '127.0.0.1', port, agent }, (res) => {
        res.setEncoding('utf8');
        let body = '';
        res.on('data', (chunk: string) => (body += chunk)).on('end', () => resolve(body));
      })
        .on('error', reject)
        .end();
    });
  try {
    assert.equal(await get(new HttpsAgent({ ca: made.caCertificate })), 'ok');
    const other = createEmulatorCertificates(['127.0.0.1']);
    await assert.rejects(get(new HttpsAgent({ ca: other.caCertificate })), /certificate/i);
  } finally {
    server.close();
  }
});
