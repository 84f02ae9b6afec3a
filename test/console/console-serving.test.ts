import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { startTestBroker, type TestBroker } from '../support/test-broker.js';

/**
 * How the broker serves the console (no browser needed): one page for every
 * console path, hashed assets cached for good, a strict Content-Security-Policy
 * the page can live under (no inline code), and the first load within budget.
 */
describe('console: serving', () => {
  let sb: TestBroker;
  before(async () => {
    sb = await startTestBroker();
  });
  after(() => sb.close());

  const assetsOf = (html: string) => [...html.matchAll(/(?:src|href)="(\/console\/assets\/[^"]+)"/g)].map((match) => match[1]);

  test('/console and any sub-path answer the page, revalidated, under a strict CSP with no inline code', async () => {
    const page = await sb.anonymous.get('/console');
    assert.equal(page.status, 200);
    assert.equal(page.headers.get('content-type'), 'text/html; charset=utf-8');
    assert.equal(page.headers.get('cache-control'), 'no-cache');
    const csp = page.headers.get('content-security-policy') ?? '';
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'self';/);
    assert.match(csp, /style-src 'self';/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|https?:/);
    assert.equal(page.headers.get('x-content-type-options'), 'nosniff');
    assert.doesNotMatch(page.text, /<script(?![^>]*\bsrc=)[^>]*>/, 'no inline script');
    assert.doesNotMatch(page.text, /<style|\sstyle=/, 'no inline style');
    assert.ok(assetsOf(page.text).length >= 2, 'a script and a stylesheet');
    for (const path of ['/console/', '/console/sessions', '/console/audit?type=x', '/console/some/deep/path']) {
      const other = await sb.anonymous.get(path);
      assert.equal(other.status, 200, path);
      assert.equal(other.text, page.text, path);
      assert.equal(other.headers.get('content-security-policy'), csp, path);
    }
  });

  test('hashed assets: right content types, cached for good; a missing one is a 404 problem, not the page', async () => {
    const page = await sb.anonymous.get('/console');
    const types: Record<string, string> = { js: 'text/javascript', css: 'text/css' };
    for (const asset of assetsOf(page.text)) {
      const response = await sb.anonymous.get(asset);
      assert.equal(response.status, 200, asset);
      assert.ok(response.headers.get('content-type')?.startsWith(types[asset.split('.').pop()!]), `${asset}: ${response.headers.get('content-type')}`);
      assert.equal(response.headers.get('cache-control'), 'public, max-age=31536000, immutable');
      assert.ok(response.headers.get('content-security-policy'));
    }
    const missing = await sb.anonymous.get('/console/assets/index-missing.js');
    assert.equal(missing.status, 404);
    assert.equal(missing.headers.get('content-type'), 'application/problem+json; charset=utf-8');
    assert.equal(missing.json.code, 'not_found');
  });

  test('the first load stays within 250 KiB gzipped', async (t) => {
    const page = await sb.anonymous.get('/console');
    let bytes = gzipSync(page.text, { level: 9 }).length;
    for (const asset of assetsOf(page.text)) bytes += gzipSync(Buffer.from(await (await fetch(sb.url + asset)).arrayBuffer()), { level: 9 }).length;
    t.diagnostic(`first load: ${(bytes / 1024).toFixed(1)} KiB gzipped`);
    assert.ok(bytes <= 250 * 1024, `${bytes} bytes`);
  });

  test('the OpenAPI document describes /console', async () => {
    const document = (await sb.anonymous.get('/openapi.json')).json;
    assert.equal(document.paths['/console'].get.operationId, 'getConsole');
    assert.equal(document.paths['/console/config.json'].get.operationId, 'getConsoleConfig');
  });

  test('without OIDC the console is told to sign in with API keys only (config.json, public, not the page)', async () => {
    const config = await sb.anonymous.get('/console/config.json');
    assert.equal(config.status, 200);
    assert.deepEqual(config.json, { oidc: null, oidcUnavailable: null });
  });
});
