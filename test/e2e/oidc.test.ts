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

  /** A token with exactly these claims (times in seconds from now), besides iss and aud. */
  const signTimes = (claims: Record<string, unknown>, times: { iat?: number; exp?: number; nbf?: number }) => {
    const now = Math.floor(Date.now() / 1000);
    const absolute = Object.fromEntries(Object.entries(times).map(([claim, offset]) => [claim, now + offset]));
    return new SignJWT({ ...claims, ...absolute })
      .setProtectedHeader({ alg: 'RS256', kid: 'test-key' })
      .setIssuer(issuer)
      .setAudience(audience)
      .sign(idp.privateKey);
  };
  const maxLifetime = 3600;
  const skew = 30;

  before(async () => {
    idp = await startJwksServer();
    sb = await startTestBroker({
      OIDC_ISSUER: issuer,
      OIDC_AUDIENCE: audience,
      OIDC_JWKS_URL: idp.url,
      OIDC_ROLES_CLAIM: 'roles',
      OIDC_MAX_TOKEN_LIFETIME_SECONDS: String(maxLifetime),
      OIDC_CLOCK_SKEW_SECONDS: String(skew),
    });
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
    assert.equal(me.json.user, 'jwt:alice@example.com', 'a JWT user is its subject in the jwt: namespace');
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

  test('token times: exp required, lifetime and age bounded, future iat/nbf refused, each with a detail naming why', async () => {
    const { tenantId } = await createTenantWithKeys(sb, []);
    const claims = { sub: 'times', tid: tenantId };
    const refused: Array<[string, Promise<string>, RegExp]> = [
      ['no exp', signTimes(claims, { iat: 0 }), /"exp"/],
      ['no exp and no iat', signTimes(claims, {}), /"exp"/],
      ['iat five years ago, exp in the future', signTimes(claims, { iat: -5 * 365 * 86_400, exp: 300 }), /"iat"/],
      ['fresh, but lives longer than the maximum', signTimes(claims, { iat: 0, exp: maxLifetime + 60 }), /longer than the 3600 s/],
      ['no iat, expires beyond the maximum from now', signTimes(claims, { exp: maxLifetime + skew + 60 }), /longer than the 3600 s/],
      ['iat in the future beyond the skew', signTimes(claims, { iat: skew + 60, exp: skew + 600 }), /"iat"/],
      ['nbf in the future beyond the skew', signTimes(claims, { iat: 0, nbf: skew + 60, exp: 600 }), /"nbf"/],
      ['expired beyond the skew', signTimes(claims, { iat: -600, exp: -(skew + 60) }), /"exp"/],
    ];
    for (const [why, token, detail] of refused) {
      const response = await sb.as(await token).get('/v1/me');
      assert.equal(response.status, 401, `${why}: ${response.text}`);
      assert.equal(response.json.code, 'unauthenticated', why);
      assert.match(response.json.detail, detail, why);
    }
    const accepted: Array<[string, Promise<string>]> = [
      ['exactly the maximum lifetime', signTimes(claims, { iat: 0, exp: maxLifetime })],
      ['no iat, expiring within the maximum', signTimes(claims, { exp: maxLifetime - 60 })],
      ['iat slightly ahead, within the skew', signTimes(claims, { iat: skew - 10, exp: 600 })],
      ['nbf slightly ahead, within the skew', signTimes(claims, { iat: 0, nbf: skew - 10, exp: 600 })],
      ['expired a moment ago, within the skew', signTimes(claims, { iat: -600, exp: -(skew - 10) })],
    ];
    for (const [why, token] of accepted) {
      const response = await sb.as(await token).get('/v1/me');
      assert.equal(response.status, 200, `${why}: ${response.text}`);
    }
  });

  test('a JWT subject and an app key end user with the same string are two users: each 404s on the other’s session', async () => {
    const { tenantId, keys } = await createTenantWithKeys(sb, ['app', 'admin']);
    const agent = await sb.as(keys.admin.key).post('/v1/agents', { name: 'namespaces', defaultProvider: 'claude', targets: sb.broker.runtimes.demoTargets() });
    assert.equal(agent.status, 201, agent.text);
    const appUser = sb.as(keys.app.key, { 'x-end-user': 'alpha-user-1' });
    const jwtUser = sb.as(await sign({ sub: 'alpha-user-1', tid: tenantId }));

    const byAppKey = await appUser.post('/v1/sessions', { agent: 'namespaces' });
    assert.equal(byAppKey.status, 201, byAppKey.text);
    assert.equal((await jwtUser.get(`/v1/sessions/${byAppKey.json.id}`)).status, 404, 'a JWT cannot read an app key end user’s session');
    const byJwt = await jwtUser.post('/v1/sessions', { agent: 'namespaces' });
    assert.equal(byJwt.status, 201, byJwt.text);
    assert.equal((await appUser.get(`/v1/sessions/${byJwt.json.id}`)).status, 404, 'an app key cannot read a JWT user’s session');
    assert.equal(byAppKey.json.user, 'alpha-user-1', 'an app key end user is kept as given');
    assert.equal(byJwt.json.user, 'jwt:alpha-user-1');

    for (const [reader, foreign, own] of [
      [jwtUser, byAppKey.json.id, byJwt.json.id],
      [appUser, byJwt.json.id, byAppKey.json.id],
    ]) {
      assert.equal((await reader.get(`/v1/sessions/${foreign}`)).status, 404);
      assert.equal((await reader.post(`/v1/sessions/${foreign}/turns`, { input: 'hi' })).status, 404);
      assert.equal((await reader.delete(`/v1/sessions/${foreign}`)).status, 404);
      assert.deepEqual((await reader.get('/v1/sessions')).json.data.map((session: { id: string }) => session.id), [own]);
    }
    assert.equal((await sb.as(keys.app.key).get('/v1/sessions')).status, 400, 'sanity: app keys still need X-End-User');
  });

  test('an X-End-User cannot take the JWT users’ form: 400 naming the header', async () => {
    const { tenantId, keys } = await createTenantWithKeys(sb, ['app']);
    assert.equal((await sb.as(await sign({ sub: 'bob', tid: tenantId })).get('/v1/sessions')).status, 200);
    for (const impostor of ['jwt:bob', 'JWT:bob', 'Jwt:']) {
      const response = await sb.as(keys.app.key, { 'x-end-user': impostor }).get('/v1/sessions');
      assert.equal(response.status, 400, impostor);
      assert.deepEqual(response.json.errors.map((error: { path: string }) => error.path), ['headers.x-end-user']);
    }
    assert.equal((await sb.as(keys.app.key, { 'x-end-user': 'bob:jwt' }).get('/v1/sessions')).status, 200, 'only the prefix is reserved');
  });

  test('a subject, tenant claim or token id that breaks the X-End-User shape is 401, on every route', async () => {
    const { tenantId } = await createTenantWithKeys(sb, []);
    const tokens = [
      await sign({ sub: 'x'.repeat(5000), tid: tenantId }),
      await sign({ sub: 'a\r\nb', tid: tenantId }),
      await sign({ sub: 'a\u0000b', tid: tenantId }),
      await sign({ sub: 'caf\u00e9', tid: tenantId }),
      await sign({ sub: 'ok', tid: `${tenantId}\u0000` }),
      await sign({ sub: 'ok', tid: 'x'.repeat(5000) }),
      await sign({ sub: 'ok', tid: tenantId, jti: 'id\u0000' }),
    ];
    for (const token of tokens) {
      for (const response of [await sb.as(token).get('/v1/me'), await sb.as(token).post('/v1/sessions', { agent: 'any' }), await sb.as(token).get('/v1/sessions')]) {
        assert.equal(response.status, 401, response.text);
        assert.equal(response.json.code, 'unauthenticated');
      }
    }
  });
});
