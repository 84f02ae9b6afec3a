import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { OAuth2Client } from 'google-auth-library';
import type { GoogleIdentity } from '#libs/config';
import { PerIdentity } from '#libs/provider-kit';
import { RuntimeError } from '#libs/runtime-spec';
import { VertexClients } from './vertex-clients.js';
import { impersonatedAuth } from './vertex-credentials.js';

/**
 * The Vertex emulator takes no token, so IAM Credentials is a local listener
 * here answering generateAccessToken as Google documents it, recording who
 * asked for which service account:
 * https://cloud.google.com/iam/docs/reference/credentials/rest/v1/projects.serviceAccounts/generateAccessToken
 */
const calls: Array<{ url: string; authorization: string; body: { scope?: string[]; lifetime?: string } }> = [];
let iam: Server;
let endpoint = '';

const identities = new Map<string, GoogleIdentity>([
  ['bu-ml', { kind: 'google', name: 'bu-ml', serviceAccount: 'agents@ml-project.iam.gserviceaccount.com' }],
  ['bu-ops', { kind: 'google', name: 'bu-ops', serviceAccount: 'agents@ops-project.iam.gserviceaccount.com' }],
]);

/** The broker's own ADC, as a client holding a token already. */
function brokerCredentials(): OAuth2Client {
  const client = new OAuth2Client();
  client.setCredentials({ access_token: 'broker-adc-token', expiry_date: Date.now() + 3_600_000 });
  return client;
}

before(async () => {
  iam = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      calls.push({ url: request.url ?? '', authorization: String(request.headers.authorization ?? ''), body: JSON.parse(body || '{}') });
      const account = /serviceAccounts\/([^:]+):/.exec(decodeURIComponent(request.url ?? ''))?.[1] ?? 'unknown';
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ accessToken: `token-of-${account}`, expireTime: new Date(Date.now() + 3_600_000).toISOString() }));
    });
  });
  await new Promise<void>((resolve) => iam.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(iam.address() as AddressInfo).port}`;
});
after(async () => {
  await new Promise((resolve) => iam.close(resolve));
});

test("a Google identity's clients call with its impersonated service account's token, minted with the broker's own credentials", async () => {
  const source = brokerCredentials();
  const clients = new VertexClients({
    endpoint: { kind: 'live' },
    identityAuth: new PerIdentity(identities, 'google', (identity) => (identity ? impersonatedAuth(identity, source, endpoint) : undefined)),
  });
  try {
    const ml = clients.forLocation('us-central1', 'bu-ml');
    assert.equal((await ml.sessions.auth.getAccessToken()), 'token-of-agents@ml-project.iam.gserviceaccount.com');
    const [call] = calls;
    assert.match(decodeURIComponent(call.url), /^\/v1\/projects\/-\/serviceAccounts\/agents@ml-project\.iam\.gserviceaccount\.com:generateAccessToken$/);
    assert.equal(call.authorization, 'Bearer broker-adc-token');
    assert.deepEqual(call.body.scope, ['https://www.googleapis.com/auth/cloud-platform']);
    // Every client of the identity uses it (sessions, turns, the control plane).
    assert.equal(await ml.executions.auth.getAccessToken(), 'token-of-agents@ml-project.iam.gserviceaccount.com');
    assert.equal(await ml.engines.auth.getAccessToken(), 'token-of-agents@ml-project.iam.gserviceaccount.com');

    const ops = clients.forLocation('us-central1', 'bu-ops');
    assert.notEqual(ops, ml);
    assert.equal(await ops.sessions.auth.getAccessToken(), 'token-of-agents@ops-project.iam.gserviceaccount.com');
    // A target naming no identity keeps the broker's own ADC clients: not an impersonated one.
    assert.notEqual(clients.forLocation('us-central1'), ml);
    assert.notEqual(clients.forLocation('us-central1').sessions.auth, ml.sessions.auth);

    assert.throws(() => clients.forLocation('us-central1', 'bu-unknown'), (error) => error instanceof RuntimeError && error.kind === 'invalid_target');
  } finally {
    await clients.close();
  }
});
