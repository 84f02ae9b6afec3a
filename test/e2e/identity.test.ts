import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createTenantWithKeys, startTestBroker, type TestBroker } from '../support/test-broker.js';

describe('identity and roles', () => {
  let sb: TestBroker;
  before(async () => {
    sb = await startTestBroker();
  });
  after(() => sb.close());

  test('no credential, an unknown key or a malformed header is 401 problem+json', async () => {
    for (const client of [sb.anonymous, sb.as('sbk_not_a_real_key'), sb.anonymous.with({ authorization: 'Basic abc' })]) {
      const response = await client.get('/v1/me');
      assert.equal(response.status, 401);
      assert.match(response.headers.get('content-type')!, /^application\/problem\+json/);
      assert.equal(response.json.code, 'unauthenticated');
    }
  });

  test('a revoked key gets 401', async () => {
    const { keys } = await createTenantWithKeys(sb, ['admin']);
    assert.equal((await sb.as(keys.admin.key).get('/v1/api-keys')).status, 200);
    const revoked = await sb.operator.delete(`/v1/api-keys/${keys.admin.id}`);
    assert.equal(revoked.status, 200);
    assert.ok(revoked.json.revokedAt);
    const after = await sb.as(keys.admin.key).get('/v1/api-keys');
    assert.equal(after.status, 401);
    assert.equal(after.json.code, 'unauthenticated');
  });

  test('an auditor key on an admin route gets 403; tenant keys on operator routes get 403', async () => {
    const { keys } = await createTenantWithKeys(sb, ['auditor', 'admin']);
    const response = await sb.as(keys.auditor.key).post('/v1/api-keys', { role: 'app', name: 'x' });
    assert.equal(response.status, 403);
    assert.equal(response.json.code, 'forbidden');
    assert.equal((await sb.as(keys.admin.key).get('/v1/tenants')).status, 403);
    assert.equal((await sb.as(keys.admin.key).post('/v1/tenants', { name: 'nope' })).status, 403);
  });

  test('401 and 403 come before validation: a caller who may not use a route learns nothing of its schema', async () => {
    const { keys } = await createTenantWithKeys(sb, ['auditor', 'admin']);
    const malformed = { role: 'no-such-role', unknownField: true, name: 'x\u0000' };
    const anonymous = await sb.anonymous.post('/v1/api-keys', malformed);
    assert.equal(anonymous.status, 401);
    assert.equal(anonymous.json.errors, undefined);
    const auditor = await sb.as(keys.auditor.key).post('/v1/api-keys', malformed);
    assert.equal(auditor.status, 403);
    assert.equal(auditor.json.errors, undefined);
    // The same body from a caller allowed on the route: every problem named at once (the validation still runs).
    const admin = await sb.as(keys.admin.key).post('/v1/api-keys', malformed);
    assert.equal(admin.status, 400);
    assert.ok(admin.json.errors.length >= 1);
  });

  test('GET /v1/me names tenant, role and the X-End-User', async () => {
    const { tenantId, name, keys } = await createTenantWithKeys(sb, ['app', 'finance']);
    const me = await sb.as(keys.app.key, { 'x-end-user': 'u-42' }).get('/v1/me');
    assert.equal(me.status, 200);
    assert.deepEqual(me.json, { role: 'app', tenant: { id: tenantId, name }, user: 'u-42', credential: { kind: 'api_key', id: keys.app.id } });
    const finance = await sb.as(keys.finance.key).get('/v1/me');
    assert.equal(finance.json.role, 'finance');
    assert.equal(finance.json.user, null);
    const operator = await sb.operator.get('/v1/me');
    assert.equal(operator.json.role, 'operator');
  });

  test('a malformed X-End-User is a 400 naming the header', async () => {
    const { keys } = await createTenantWithKeys(sb, ['app']);
    const response = await sb.as(keys.app.key, { 'x-end-user': 'x'.repeat(257) }).get('/v1/me');
    assert.equal(response.status, 400);
    assert.deepEqual(response.json.errors.map((error: { path: string }) => error.path), ['headers.x-end-user']);
  });

  test('a tenant admin manages only its own keys; another tenant’s key is 404 and audited', async () => {
    const a = await createTenantWithKeys(sb, ['admin']);
    const b = await createTenantWithKeys(sb, ['admin', 'app']);
    const created = await sb.as(a.keys.admin.key).post('/v1/api-keys', { role: 'auditor', name: 'security' });
    assert.equal(created.status, 201);
    assert.match(created.json.key, /^sbk_/);
    assert.equal(created.json.tenantId, a.tenantId);
    const listed = await sb.as(a.keys.admin.key).get('/v1/api-keys');
    assert.deepEqual(listed.json.data.map((key: { id: string }) => key.id).sort(), [a.keys.admin.id, created.json.id].sort());
    assert.ok(listed.json.data.every((key: Record<string, unknown>) => !('key' in key)), 'secrets are never listed');

    const foreign = await sb.as(a.keys.admin.key).delete(`/v1/api-keys/${b.keys.app.id}`);
    assert.equal(foreign.status, 404);
    assert.equal(foreign.json.code, 'not_found');
    const unknown = await sb.as(a.keys.admin.key).delete(`/v1/api-keys/key_00000000000000000000000000`);
    assert.deepEqual(
      { status: unknown.status, detail: unknown.json.detail },
      { status: foreign.status, detail: foreign.json.detail },
      'a foreign key and a missing key are indistinguishable',
    );
    assert.equal((await sb.as(b.keys.app.key, { 'x-end-user': 'u' }).get('/v1/me')).status, 200, 'the foreign key still works');

    const denied = await sb.broker.database.database.inTenant(a.tenantId, (tx) =>
      tx.rows<{ type: string; request_id: string; actor_id: string; detail: { id: string } }>(`SELECT type, request_id, actor_id, detail FROM audit_events WHERE type = 'access.denied' ORDER BY seq`),
    );
    assert.equal(denied.length, 2);
    assert.equal(denied[0].detail.id, b.keys.app.id);
    assert.equal(denied[0].actor_id, a.keys.admin.id);
    assert.equal(denied[0].request_id, foreign.headers.get('x-request-id'));
  });

  test('a key view shows the public prefix and the last four characters of the secret, nothing more', async () => {
    const { keys } = await createTenantWithKeys(sb, ['admin']);
    const created = await sb.as(keys.admin.key).post('/v1/api-keys', { role: 'app', name: 'backend' });
    assert.equal(created.status, 201);
    const secret: string = created.json.key;
    const listed = await sb.as(keys.admin.key).get('/v1/api-keys');
    const revoked = await sb.as(keys.admin.key).delete(`/v1/api-keys/${created.json.id as string}`);
    const { key: _shownOnce, ...createdView } = created.json as Record<string, unknown>;
    const views = [createdView, revoked.json, listed.json.data.find((view: { id: string }) => view.id === created.json.id)];
    for (const view of views) {
      assert.equal(view.keyPrefix, 'sbk_');
      assert.equal(view.keyLast4, secret.slice(-4));
      const text = JSON.stringify(view);
      // No run of five or more secret characters appears anywhere in a view.
      for (let start = 4; start + 5 <= secret.length; start++) assert.ok(!text.includes(secret.slice(start, start + 5)), `${text} shows ${secret.slice(start, start + 5)}`);
    }
    for (const view of listed.json.data) assert.equal(view.keyPrefix, 'sbk_', 'every listed key');
  });

  test('tenant names are unique: 409', async () => {
    const { name } = await createTenantWithKeys(sb, []);
    const again = await sb.operator.post('/v1/tenants', { name });
    assert.equal(again.status, 409);
    assert.equal(again.json.code, 'conflict');
  });

  test('tenants list pages with a cursor', async () => {
    for (let index = 0; index < 3; index++) await createTenantWithKeys(sb, []);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { json: { data: { id: string }[]; nextCursor: string | null } } = await sb.operator.get(
        `/v1/tenants?limit=2${cursor ? `&cursor=${cursor}` : ''}`,
      );
      assert.ok(page.json.data.length <= 2);
      seen.push(...page.json.data.map((tenant) => tenant.id));
      cursor = page.json.nextCursor;
    } while (cursor);
    assert.ok(seen.length >= 3);
    assert.deepEqual([...seen].sort(), seen, 'ids come in order');
    assert.equal(new Set(seen).size, seen.length, 'no tenant twice');
  });
});
