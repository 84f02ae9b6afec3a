import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Validator } from '@seriousme/openapi-schema-validator';
import { startTestBroker, type TestBroker } from '../support/test-broker.js';

/** The routes Express actually serves, read from its router, independently of our own discovery. */
function servedRoutes(sb: TestBroker): string[] {
  const expressApp = sb.broker.app.getHttpAdapter().getInstance() as { router: { stack: Array<{ route?: { path: string; methods: Record<string, boolean> } }> } };
  return expressApp.router.stack
    .filter((layer) => layer.route)
    .flatMap((layer) =>
      Object.keys(layer.route!.methods)
        .filter((method) => method !== '_all')
        .map((method) => `${method.toUpperCase()} ${layer.route!.path.replace(/:([A-Za-z0-9_]+)/g, '{$1}')}`),
    )
    .sort();
}

describe('OpenAPI document', () => {
  let sb: TestBroker;
  let document: { openapi: string; paths: Record<string, Record<string, { operationId: string }>> };
  before(async () => {
    sb = await startTestBroker();
    document = (await sb.anonymous.get('/openapi.json')).json;
  });
  after(() => sb.close());

  test('validates as OpenAPI 3.x', async () => {
    const validator = new Validator();
    const result = await validator.validate(document);
    assert.equal(result.valid, true, JSON.stringify(result.errors, null, 2));
    assert.match(document.openapi, /^3\.\d+\.\d+$/);
  });

  test('lists every route the server serves, and nothing else', () => {
    const documented = Object.entries(document.paths)
      .flatMap(([path, operations]) => Object.keys(operations).map((method) => `${method.toUpperCase()} ${path}`))
      .sort();
    const served = servedRoutes(sb);
    assert.ok(served.length >= 12, `found only ${served.length} routes`);
    assert.deepEqual(documented, served);
  });

  test('operation ids are unique', () => {
    const ids = Object.values(document.paths).flatMap((operations) => Object.values(operations).map((operation) => operation.operationId));
    assert.equal(new Set(ids).size, ids.length);
  });

  test('/docs serves the UI and its assets locally', async () => {
    const page = await sb.anonymous.get('/docs');
    assert.equal(page.status, 200);
    assert.match(page.text, /swagger-ui-bundle\.js/);
    const asset = await fetch(`${sb.url}/docs/assets/swagger-ui-bundle.js`);
    assert.equal(asset.status, 200);
    await asset.arrayBuffer();
  });
});
