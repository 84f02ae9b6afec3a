import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { createTenantWithKeys, startTestBroker, type TestBroker } from '../support/test-broker.js';

type Operation = { method: string; path: string };

/**
 * Property: whatever is sent to any documented route — random bodies,
 * headers, ids and query strings, with or without valid credentials — the
 * answer is never a 5xx, and every error is problem+json.
 */
describe('random requests to every route', () => {
  let sb: TestBroker;
  let operations: Operation[];
  let credentials: string[];

  before(async () => {
    sb = await startTestBroker();
    const document = (await sb.anonymous.get('/openapi.json')).json as { paths: Record<string, Record<string, unknown>> };
    operations = Object.entries(document.paths).flatMap(([path, methods]) => Object.keys(methods).map((method) => ({ method: method.toUpperCase(), path })));
    const tenant = await createTenantWithKeys(sb, ['app', 'admin', 'auditor', 'finance']);
    credentials = ['', `Bearer ${sb.operatorKey}`, ...Object.values(tenant.keys).map((key) => `Bearer ${key.key}`), 'Bearer sbk_bogus', 'Bearer a.b.c'];
  });
  after(() => sb.close());

  const jsonValue = fc.jsonValue({ maxDepth: 3 });
  const pathValue = fc.oneof(
    fc.constantFrom('ten_', 'key_', 'ses_', 'agt_').chain((prefix) => fc.stringMatching(/^[0-9a-z]{0,30}$/).map((rest) => prefix + rest)),
    fc.string({ maxLength: 40 }),
    fc.constant('ten_00000000000000000000000000'),
  );
  const queryString = fc.dictionary(fc.constantFrom('limit', 'cursor', 'status', 'x', 'from'), fc.string({ maxLength: 20 }), { maxKeys: 3 });
  const body = fc.oneof(
    jsonValue.map((value) => JSON.stringify(value)),
    fc.record({ name: fc.string(), role: fc.string() }).map((value) => JSON.stringify(value)),
    fc.string({ maxLength: 200 }),
    fc.constant(undefined),
  );
  const headerValue = fc.stringMatching(/^[\x20-\x7e]{0,300}$/);

  test('never a 5xx, always problem+json on errors', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.nat(),
        fc.nat(),
        pathValue,
        queryString,
        body,
        fc.option(headerValue),
        fc.option(headerValue),
        async (operationIndex, credentialIndex, id, query, rawBody, endUser, requestId) => {
          const operation = operations[operationIndex % operations.length];
          const path = operation.path.replace(/\{[^}]+\}/g, encodeURIComponent(id));
          const search = new URLSearchParams(query).toString();
          const headers: Record<string, string> = {};
          const credential = credentials[credentialIndex % credentials.length];
          if (credential) headers.authorization = credential;
          if (endUser !== null) headers['x-end-user'] = endUser;
          if (requestId !== null) headers['x-request-id'] = requestId;
          if (rawBody !== undefined) headers['content-type'] = 'application/json';
          const response = await fetch(`${sb.url}${path}${search ? `?${search}` : ''}`, {
            method: operation.method,
            headers,
            body: operation.method === 'GET' ? undefined : rawBody,
          });
          const text = await response.text();
          assert.ok(response.status < 500, `${operation.method} ${path} → ${response.status} ${text}`);
          if (response.status >= 400) {
            assert.match(response.headers.get('content-type') ?? '', /^application\/problem\+json/, `${operation.method} ${path}`);
            const problem = JSON.parse(text);
            assert.equal(problem.status, response.status);
            assert.equal(typeof problem.code, 'string');
          }
        },
      ),
      { numRuns: 400 },
    );
  });
});
