import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestBroker, type TestBroker } from '../support/test-broker.js';

describe('errors are problem+json', () => {
  let sb: TestBroker;
  before(async () => {
    sb = await startTestBroker();
  });
  after(() => sb.close());

  const assertProblem = (response: { status: number; headers: Headers; json: Record<string, unknown> }, status: number, code: string) => {
    assert.equal(response.status, status);
    assert.match(response.headers.get('content-type') ?? '', /^application\/problem\+json/);
    assert.equal(response.json.status, status);
    assert.equal(response.json.code, code);
    assert.equal(response.json.type, `/problems/${code.replaceAll('_', '-')}`);
    assert.equal(typeof response.json.title, 'string');
    assert.equal(response.json.requestId, response.headers.get('x-request-id'));
  };

  test('malformed JSON is 400', async () => {
    const response = await sb.operator.post('/v1/tenants', '{"name": "acme"');
    assertProblem(response, 400, 'invalid_request');
    assert.deepEqual(response.json.errors, [{ path: 'body', message: 'malformed JSON' }]);
  });

  test('unknown fields and wrong types are each listed', async () => {
    const response = await sb.operator.post('/v1/tenants', { name: 42, color: 'blue', size: 3 });
    assertProblem(response, 400, 'invalid_request');
    const paths = response.json.errors.map((error: { path: string }) => error.path).sort();
    assert.deepEqual(paths, ['body.color', 'body.name', 'body.size']);
  });

  test('problems in path, query and body are reported together', async () => {
    const response = await sb.operator.post('/v1/tenants/not-an-id/api-keys', { role: 'root' });
    assertProblem(response, 400, 'invalid_request');
    const paths = response.json.errors.map((error: { path: string }) => error.path).sort();
    assert.deepEqual(paths, ['body.name', 'body.role', 'params.tenantId']);
    const query = await sb.operator.get('/v1/tenants?limit=0&bogus=1');
    assert.deepEqual(query.json.errors.map((error: { path: string }) => error.path).sort(), ['query.bogus', 'query.limit']);
  });

  test('a 2 MB body over the 1 MB limit is 413', async () => {
    const response = await sb.operator.post('/v1/tenants', JSON.stringify({ name: 'x'.repeat(2 * 1024 * 1024) }));
    assertProblem(response, 413, 'payload_too_large');
  });

  test('unknown routes are 404 problem+json', async () => {
    assertProblem(await sb.operator.get('/v1/nothing-here'), 404, 'not_found');
    assertProblem(await sb.anonymous.request('PATCH', '/healthz'), 404, 'not_found');
  });

  test('X-Request-Id: a well-formed one is echoed, a bad one replaced', async () => {
    const mine = await sb.anonymous.get('/healthz', { 'x-request-id': 'trace-123.abc' });
    assert.equal(mine.headers.get('x-request-id'), 'trace-123.abc');
    const bad = await sb.anonymous.get('/healthz', { 'x-request-id': 'bad id with spaces' });
    assert.match(bad.headers.get('x-request-id')!, /^req_[0-9a-z]{26}$/);
  });

  test('no stack traces or SQL in bodies', async () => {
    const response = await sb.operator.post('/v1/tenants', { name: '\u0000' });
    assert.ok(response.status < 500, response.text);
    assert.doesNotMatch(response.text, /at .*\.js:\d+|SELECT|INSERT|QueryFailedError/);
  });
});
