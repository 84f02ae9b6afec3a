import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { createTenantWithKeys, startTestBroker, type TestBroker } from '../support/test-broker.js';

/** A local identity provider: a JWKS on loopback and a key to sign tokens with. */
async function startJwksServer(): Promise<{ url: string; privateKey: CryptoKey; close(): Promise<void> }> {
  const { publicKey, privateKey } = await generateKeyPair('RS256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'test-key', alg: 'RS256', use: 'sig' };
  const server: Server = createServer((_request, response) => {
    response.setHeader('content-type', 'application/json');
    response.end(JSON.stringify({ keys: [jwk] }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`,
    privateKey,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

describe('OIDC JWTs', () => {
  let sb: TestBroker;
  let idp: Awaited<ReturnType<typeof startJwksServer>>;
  const issuer = 'https://idp.test/';
  const audience = 'switchboard';

  const sign = (claims: Record<string, unknown>, options: { issuer?: string; audience?: string; expiresIn?: string } = {}) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid: 'test-key' })
      .setIssuer(options.issuer ?? issuer)
      .setAudience(options.audience ?? audience)
      .setIssuedAt()
      .setExpirationTime(options.expiresIn ?? '5m')
      .sign(idp.privateKey);

  before(async () => {
    idp = await startJwksServer();
    sb = await startTestBroker({ OIDC_ISSUER: issuer, OIDC_AUDIENCE: audience, OIDC_JWKS_URL: idp.url, OIDC_ROLES_CLAIM: 'roles' });
  });
  after(async () => {
    await sb.close();
    await idp.close();
  });

  test('a valid token is the user in its tenant, role app by default', async () => {
    const { tenantId } = await createTenantWithKeys(sb, []);
    const token = await sign({ sub: 'alice@example.com', tid: tenantId });
    const me = await sb.as(token).get('/v1/me');
    assert.equal(me.status, 200);
    assert.equal(me.json.role, 'app');
    assert.equal(me.json.user, 'alice@example.com');
    assert.equal(me.json.tenant.id, tenantId);
    assert.equal(me.json.credential.kind, 'jwt');
  });

  test('the roles claim grants a role', async () => {
    const { tenantId } = await createTenantWithKeys(sb, []);
    const admin = await sign({ sub: 'bob', tid: tenantId, roles: ['admin'] });
    assert.equal((await sb.as(admin).get('/v1/api-keys')).status, 200);
    const app = await sign({ sub: 'carol', tid: tenantId });
    assert.equal((await sb.as(app).get('/v1/api-keys')).status, 403);
  });

  test('an app JWT combined with X-End-User is a 400', async () => {
    const { tenantId } = await createTenantWithKeys(sb, []);
    const token = await sign({ sub: 'alice', tid: tenantId });
    const response = await sb.as(token, { 'x-end-user': 'mallory' }).get('/v1/me');
    assert.equal(response.status, 400);
    assert.equal(response.json.errors[0].path, 'headers.x-end-user');
  });

  test('wrong audience, wrong issuer, expired, unknown tenant: 401', async () => {
    const { tenantId } = await createTenantWithKeys(sb, []);
    const tokens = [
      await sign({ sub: 'a', tid: tenantId }, { audience: 'other' }),
      await sign({ sub: 'a', tid: tenantId }, { issuer: 'https://evil.test/' }),
      await sign({ sub: 'a', tid: tenantId }, { expiresIn: '-1m' }),
      await sign({ sub: 'a', tid: 'ten_00000000000000000000000000' }),
      await sign({ sub: 'a' }),
    ];
    for (const token of tokens) {
      const response = await sb.as(token).get('/v1/me');
      assert.equal(response.status, 401, response.text);
    }
  });
});
