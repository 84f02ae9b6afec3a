import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { apiKeyCacheMs } from '../../apps/broker/src/identity/api-key-cache.js';
import { spawnBroker, type BrokerProcess } from '../support/broker-process.js';
import { HttpClient } from '../support/http-client.js';
import { createTenantWithKeys, startTestBroker, type TestBroker } from '../support/test-broker.js';

const databaseUrl = process.env.DATABASE_URL;

/** Waits until `instant` (ISO) has passed, plus the cache's window: by then every replica must refuse. */
async function waitPast(instant: string): Promise<void> {
  await sleep(Math.max(0, Date.parse(instant) - Date.now()) + apiKeyCacheMs + 50);
}

async function auditTypes(auditor: HttpClient, type: string): Promise<Array<{ detail: Record<string, unknown> }>> {
  const page = await auditor.get(`/v1/audit/events?type=${type}&limit=100`);
  assert.equal(page.status, 200, page.text);
  return page.json.data;
}

describe('API key lifecycle: expiry, last use, listing, rotation', () => {
  let broker: TestBroker;

  before(async () => {
    broker = await startTestBroker();
  });
  after(() => broker.close());

  test('a key with expiresAt works until then, then answers 401 and is audited once as credential.expired', async () => {
    const { keys } = await createTenantWithKeys(broker, ['admin', 'auditor']);
    const admin = broker.as(keys.admin.key);
    const past = await admin.post('/v1/api-keys', { role: 'finance', name: 'old', expiresAt: new Date(Date.now() - 1000).toISOString() });
    assert.equal(past.status, 400, past.text);
    const expiresAt = new Date(Date.now() + 1500).toISOString();
    const created = await admin.post('/v1/api-keys', { role: 'finance', name: 'short-lived', expiresAt });
    assert.equal(created.status, 201, created.text);
    assert.equal(created.json.expiresAt, expiresAt);
    const finance = broker.as(created.json.key);
    assert.equal((await finance.get('/v1/costs/summary?groupBy=provider')).status, 200);
    await waitPast(expiresAt);
    for (let attempt = 0; attempt < 3; attempt++) {
      const refused = await finance.get('/v1/costs/summary?groupBy=provider');
      assert.equal(refused.status, 401, refused.text);
      assert.match(refused.json.detail, /expired/);
    }
    const expired = await auditTypes(broker.as(keys.auditor.key), 'credential.expired');
    assert.equal(expired.length, 1, 'audited when first refused, not at every refusal');
    assert.equal(expired[0].detail.keyId, created.json.id);
  });

  test('lastUsedAt is set to the minute of the last use; the operator lists a tenant\'s keys with ?tenant=', async () => {
    const { tenantId, keys } = await createTenantWithKeys(broker, ['admin', 'app']);
    const app = broker.as(keys.app.key, { 'x-end-user': 'u-1' });
    assert.equal((await app.get('/v1/sessions')).status, 200);
    // The use is written off the request's path.
    let listed = await broker.as(keys.admin.key).get('/v1/api-keys');
    for (let attempt = 0; attempt < 50 && !listed.json.data.find((key: { id: string }) => key.id === keys.app.id)?.lastUsedAt; attempt++) {
      await sleep(50);
      listed = await broker.as(keys.admin.key).get('/v1/api-keys');
    }
    const appKey = listed.json.data.find((key: { id: string }) => key.id === keys.app.id);
    assert.ok(appKey.lastUsedAt, 'the app key was used');
    assert.equal(new Date(appKey.lastUsedAt).getUTCSeconds(), 0, 'minute precision');
    assert.ok(Math.abs(Date.parse(appKey.lastUsedAt) - Date.now()) < 120_000);
    assert.equal(appKey.expiresAt, null);
    assert.equal(appKey.key, undefined, 'never the secret');

    const byOperator = await broker.operator.get(`/v1/api-keys?tenant=${tenantId}`);
    assert.equal(byOperator.status, 200, byOperator.text);
    assert.deepEqual(byOperator.json.data.map((key: { id: string }) => key.id).sort(), [keys.admin.id, keys.app.id].sort());
    assert.equal((await broker.operator.get('/v1/api-keys')).status, 400, 'the operator names the tenant');
  });

  test('rotation: a new secret at once, the old one through its grace, then 401; audited; a rotated key does not rotate twice', async () => {
    const { keys } = await createTenantWithKeys(broker, ['admin', 'app', 'auditor']);
    const admin = broker.as(keys.admin.key);
    const rotated = await admin.post(`/v1/api-keys/${keys.app.id}/rotate`, { graceSeconds: 1 });
    assert.equal(rotated.status, 201, rotated.text);
    assert.notEqual(rotated.json.id, keys.app.id);
    assert.equal(rotated.json.role, 'app');
    const fresh = broker.as(rotated.json.key, { 'x-end-user': 'u-1' });
    const old = broker.as(keys.app.key, { 'x-end-user': 'u-1' });
    assert.equal((await fresh.get('/v1/sessions')).status, 200);
    assert.equal((await old.get('/v1/sessions')).status, 200, 'the old secret works during its grace');
    const again = await admin.post(`/v1/api-keys/${keys.app.id}/rotate`, { graceSeconds: 1 });
    assert.equal(again.status, 409, again.text);
    const listed = (await admin.get('/v1/api-keys')).json.data.find((key: { id: string }) => key.id === keys.app.id);
    assert.equal(listed.replacedBy, rotated.json.id);
    await waitPast(listed.expiresAt);
    const refused = await old.get('/v1/sessions');
    assert.equal(refused.status, 401, refused.text);
    assert.match(refused.json.detail, /rotated/);
    assert.equal((await fresh.get('/v1/sessions')).status, 200);
    const audited = await auditTypes(broker.as(keys.auditor.key), 'credential.rotated');
    assert.equal(audited.length, 1);
    assert.deepEqual([audited[0].detail.keyId, audited[0].detail.newKeyId, audited[0].detail.graceSeconds], [keys.app.id, rotated.json.id, 1]);
    const other = await createTenantWithKeys(broker, ['admin']);
    assert.equal((await broker.as(other.keys.admin.key).post(`/v1/api-keys/${rotated.json.id}/rotate`, {})).status, 404, "another tenant's key does not exist");
  });
});

/**
 * Every replica refuses within 1 s: two broker processes on one PostgreSQL
 * database, each with its own key cache.
 */
describe('key revocation and rotation across two replicas', { skip: databaseUrl ? false : 'needs PostgreSQL (DATABASE_URL): the embedded database admits one process' }, () => {
  const operatorKey = `sbk_test_operator_${randomBytes(16).toString('hex')}`;
  const replicas: BrokerProcess[] = [];

  before(async () => {
    for (let index = 0; index < 2; index++) {
      replicas.push(await spawnBroker({ DATABASE_URL: databaseUrl!, SWITCHBOARD_ADMIN_KEY: operatorKey, SWITCHBOARD_SEED_DEMO: 'off' }));
    }
  });
  after(async () => {
    for (const replica of replicas) replica.child.kill('SIGTERM');
    await Promise.all(replicas.map((replica) => replica.exited));
  });

  test('a key revoked on A is refused by B, which had just used it, within 1 s; a rotation\'s grace ends on both', async () => {
    const operator = new HttpClient(replicas[0].url, { authorization: `Bearer ${operatorKey}` });
    const tenantId = (await operator.post('/v1/tenants', { name: `keys-${randomBytes(4).toString('hex')}` })).json.id as string;
    const adminKey = (await operator.post(`/v1/tenants/${tenantId}/api-keys`, { role: 'admin', name: 'admin' })).json.key as string;
    const app = (await operator.post(`/v1/tenants/${tenantId}/api-keys`, { role: 'app', name: 'app' })).json as { id: string; key: string };
    const on = (index: number, key: string) => new HttpClient(replicas[index].url, { authorization: `Bearer ${key}`, 'x-end-user': 'u-1' });

    assert.equal((await on(1, app.key).get('/v1/sessions')).status, 200, 'B has the key in its cache');
    assert.equal((await on(0, adminKey).delete(`/v1/api-keys/${app.id}`)).status, 200);
    assert.equal((await on(0, app.key).get('/v1/sessions')).status, 401, 'A refuses at once');
    // B read the key before the revocation committed; one cache window later it must have read it again.
    await sleep(apiKeyCacheMs);
    assert.equal((await on(1, app.key).get('/v1/sessions')).status, 401, 'B refuses within 1 s');

    const second = (await operator.post(`/v1/tenants/${tenantId}/api-keys`, { role: 'app', name: 'app 2' })).json as { id: string; key: string };
    for (const index of [0, 1]) assert.equal((await on(index, second.key).get('/v1/sessions')).status, 200);
    const rotated = await on(1, adminKey).post(`/v1/api-keys/${second.id}/rotate`, { graceSeconds: 2 });
    assert.equal(rotated.status, 201, rotated.text);
    for (const index of [0, 1]) {
      assert.equal((await on(index, second.key).get('/v1/sessions')).status, 200, `the old secret works on replica ${index} during the grace`);
      assert.equal((await on(index, rotated.json.key).get('/v1/sessions')).status, 200, `the new secret works on replica ${index}`);
    }
    const listed = (await on(0, adminKey).get('/v1/api-keys')).json.data.find((key: { id: string }) => key.id === second.id);
    await waitPast(listed.expiresAt);
    for (const index of [0, 1]) {
      assert.equal((await on(index, second.key).get('/v1/sessions')).status, 401, `the old secret is refused on replica ${index} after the grace`);
      assert.equal((await on(index, rotated.json.key).get('/v1/sessions')).status, 200);
    }
  });
});
