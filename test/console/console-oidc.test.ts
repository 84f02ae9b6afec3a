import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { Page } from 'playwright-core';
import { browserMissing, launchBrowser, type TestBrowser } from '../support/browser.js';
import { TestOidcProvider } from '../support/oidc-provider.js';
import { createTenantWithKeys, startTestBroker, type TestBroker } from '../support/test-broker.js';

/**
 * The console's OIDC sign-in (Authorization Code + PKCE) in a real chromium,
 * against a real broker and a small OpenID provider on loopback that checks
 * the PKCE verifier itself. The broker finds the provider's endpoints in its
 * discovery document (no endpoint configured).
 */
const skip = process.env.DATABASE_URL ? 'the embedded run covers the browser journeys' : browserMissing();

describe('console: OIDC sign-in in a real browser', { skip }, () => {
  const clientId = 'switchboard-console';
  const audience = 'switchboard';
  let sb: TestBroker;
  let idp: TestOidcProvider;
  let browser: TestBrowser;
  let tenant: Awaited<ReturnType<typeof createTenantWithKeys<'admin'>>>;
  const pageErrors: string[] = [];

  before(async () => {
    idp = await new TestOidcProvider(clientId, audience).start();
    sb = await startTestBroker({
      OIDC_ISSUER: idp.issuer,
      OIDC_AUDIENCE: audience,
      OIDC_JWKS_URL: idp.jwksUrl,
      OIDC_ROLES_CLAIM: 'roles',
      OIDC_CONSOLE_CLIENT_ID: clientId,
      OIDC_CONSOLE_SCOPES: 'openid profile',
    });
    browser = await launchBrowser();
    tenant = await createTenantWithKeys(sb, ['admin']);
  });
  after(async () => {
    await browser?.close();
    await sb?.close();
    await idp?.stop();
  });

  const signInButton = (page: Page) => page.getByRole('button', { name: `Sign in with ${new URL(idp.issuer).host}` });
  const stored = (page: Page) => page.evaluate('[Object.keys(sessionStorage), localStorage.length, document.cookie]');

  async function openConsole(path: string): Promise<Page> {
    const { page, errors } = await browser.newPage();
    page.on('close', () => pageErrors.push(...errors));
    await page.goto(`${sb.url}${path}`);
    await signInButton(page).waitFor();
    return page;
  }

  test('the broker tells the page its OIDC client (public values) and lets it reach the token endpoint, nothing else', async () => {
    const config = await sb.anonymous.get('/console/config.json');
    assert.equal(config.status, 200);
    assert.deepEqual(config.json, {
      oidc: { issuer: idp.issuer, clientId, audience, authorizationEndpoint: `${idp.issuer}/authorize`, tokenEndpoint: `${idp.issuer}/token`, scopes: 'openid profile' },
      oidcUnavailable: null,
    });
    const page = await sb.anonymous.get('/console/webhooks');
    const csp = page.headers.get('content-security-policy') ?? '';
    assert.match(csp, new RegExp(`connect-src 'self' ${idp.issuer.replace(/[.]/g, '\\.')};`));
    assert.match(csp, /script-src 'self';/);
  });

  test('an admin signs in at the provider, sees tenant, role and user, reaches an admin page, and signing out leaves nothing', async () => {
    idp.next = { claims: { sub: 'ada', tid: tenant.tenantId, roles: ['admin'] } };
    const page = await openConsole('/console/webhooks');
    await browser.screenshot(page, 'sign-in-oidc');
    await signInButton(page).click();
    await page.getByTestId('role').waitFor();

    const who = (await page.getByTestId('who').textContent()) ?? '';
    assert.match(who, new RegExp(`Tenant${tenant.name}`));
    assert.equal(await page.getByTestId('role').textContent(), 'admin');
    assert.match(who, /Userjwt:ada/);
    await page.getByRole('heading', { name: 'Webhooks' }).waitFor();
    await page.getByText('No webhooks yet.').waitFor();
    assert.equal(new URL(page.url()).pathname, '/console/webhooks', 'back where the sign-in started, the code gone from the address');
    assert.equal(new URL(page.url()).search, '');

    // PKCE as RFC 7636 has it: S256, and the verifier the provider got hashes to the challenge it was shown.
    const [authorize] = idp.authorizeRequests;
    const [redeemed] = idp.tokenRequests;
    assert.equal(authorize.codeChallengeMethod, 'S256');
    assert.equal(authorize.clientId, clientId);
    assert.equal(authorize.redirectUri, `${sb.url}/console/callback`);
    assert.equal(authorize.scope, 'openid profile');
    assert.ok(authorize.state.length >= 16 && authorize.nonce.length >= 16);
    assert.match(redeemed.form.code_verifier, /^[A-Za-z0-9_-]{43,128}$/);
    assert.equal(createHash('sha256').update(redeemed.form.code_verifier).digest('base64url'), authorize.codeChallenge);
    assert.ok(redeemed.verifierMatched);
    assert.equal(redeemed.origin, sb.url, 'the browser redeemed the code itself (CORS), not the broker');
    assert.equal(redeemed.form.client_id, clientId);

    // The tab keeps the access token (the one for the broker's audience) and nothing of the sign-in.
    assert.deepEqual(await stored(page), [['switchboard.credential'], 0, '']);
    const token = (await page.evaluate(() => sessionStorage.getItem('switchboard.credential')))!;
    assert.equal(JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()).aud, audience);
    const me = await sb.as(token).get('/v1/me');
    assert.equal(me.json.role, 'admin');
    assert.equal(me.json.credential.kind, 'jwt');

    await page.getByRole('link', { name: 'API keys' }).click();
    await page.getByTestId('api-keys').waitFor();
    await page.getByRole('button', { name: 'Sign out' }).click();
    await signInButton(page).waitFor();
    assert.deepEqual(await stored(page), [[], 0, '']);
    assert.deepEqual(await browser.context.cookies(), []);
    await page.close();
  });

  test('refusals are shown and sign no one in: wrong verifier, state mismatch, provider error, a token the broker refuses', async () => {
    const cases: Array<{ next: typeof idp.next; shows: RegExp; redeems: boolean }> = [
      { next: { claims: { sub: 'eve', tid: tenant.tenantId, roles: ['admin'] }, forgetChallenge: true }, shows: /The token endpoint refused the code.*invalid_grant: code_verifier does not match/, redeems: true },
      { next: { claims: { sub: 'eve', tid: tenant.tenantId, roles: ['admin'] }, wrongState: true }, shows: /Sign-in answer refused.*state mismatch/, redeems: false },
      { next: { claims: { sub: 'eve', tid: tenant.tenantId }, deny: true }, shows: /The identity provider refused the sign-in.*access_denied: the test provider said no/, redeems: false },
      { next: { claims: { sub: 'eve', tid: 'no-such-tenant', roles: ['admin'] } }, shows: /Unauthenticated \(401\).*unknown tenant/, redeems: true },
    ];
    for (const { next, shows, redeems } of cases) {
      idp.next = next;
      const before = idp.tokenRequests.length;
      const page = await openConsole('/console/');
      await signInButton(page).click();
      const alert = page.getByRole('alert');
      await alert.waitFor();
      assert.match((await alert.textContent()) ?? '', shows);
      await signInButton(page).waitFor();
      assert.equal(await page.getByTestId('role').count(), 0, 'nobody is signed in');
      assert.equal(new URL(page.url()).search, '', 'the answer is gone from the address');
      assert.deepEqual(await stored(page), [[], 0, ''], 'nothing kept');
      assert.equal(idp.tokenRequests.length - before, redeems ? 1 : 0, `${shows}: token endpoint called ${redeems ? 'once' : 'never'}`);
      if (next.forgetChallenge) assert.equal(idp.tokenRequests.at(-1)!.verifierMatched, false);
      await page.close();
    }
    assert.deepEqual(pageErrors, [], 'no Content-Security-Policy violation or page error');
  });
});
