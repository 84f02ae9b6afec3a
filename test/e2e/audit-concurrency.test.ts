import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createTenantWithKeys, startTestBroker, type TestBroker } from '../support/test-broker.js';

/**
 * 200 concurrent requests writing audit events for one tenant, spread over
 * two broker replicas when the suite runs on PostgreSQL (the embedded
 * database admits one process, so there it is one replica): the chain stays
 * linear and seq has no gap.
 */
describe('audit chain under concurrent appends', () => {
  const replicas: TestBroker[] = [];
  before(async () => {
    replicas.push(await startTestBroker());
    if (process.env.DATABASE_URL) replicas.push(await startTestBroker());
  });
  after(() => Promise.all(replicas.map((replica) => replica.close())));

  test('200 concurrent credential creations keep one gap-free, verifiable chain', async () => {
    const tenant = await createTenantWithKeys(replicas[0], ['admin', 'auditor']);
    const before = (await replicas[0].as(tenant.keys.auditor.key).get('/v1/audit/events?limit=1000')).json.data.length as number;
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, index) => replicas[index % replicas.length].as(tenant.keys.admin.key).post('/v1/api-keys', { role: 'app', name: `key ${index}` })),
    );
    assert.deepEqual([...new Set(results.map((result) => result.status))], [201]);
    const auditor = replicas[replicas.length - 1].as(tenant.keys.auditor.key);
    const verdict = await auditor.get('/v1/audit/verify');
    assert.deepEqual(
      { ok: verdict.json.ok, checked: verdict.json.checked, firstBadSeq: verdict.json.firstBadSeq, reason: verdict.json.reason },
      { ok: true, checked: before + 200, firstBadSeq: null, reason: null },
    );
    const seqs: number[] = [];
    let cursor: string | null = null;
    do {
      const page: { json: { data: { seq: number }[]; nextCursor: string | null } } = await auditor.get(`/v1/audit/events?limit=1000${cursor ? `&cursor=${cursor}` : ''}`);
      seqs.push(...page.json.data.map((event) => event.seq));
      cursor = page.json.nextCursor;
    } while (cursor);
    assert.deepEqual(seqs, Array.from({ length: before + 200 }, (_, index) => index + 1));
  });
});
