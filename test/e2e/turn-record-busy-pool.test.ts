import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createTenantWithKeys, startTestBroker, uniqueName, type TestBroker } from '../support/test-broker.js';

type Faults = { faults: { add(op: string, fault: { kind: 'delay'; ms: number }): void } };

/**
 * A turn that ends while every database connection of its replica is taken
 * for longer than the pool's checkout timeout still gets its record (and the
 * client its `turn.completed`): the record waits for a connection instead of
 * failing, which would leave the turn running and the session claimed.
 * Found holding 9,500 streamed turns open on one replica and releasing them
 * at once (the open-streams bench).
 */
describe('a turn ending while the pool is exhausted', { skip: process.env.DATABASE_URL ? false : 'needs PostgreSQL (DATABASE_URL): the embedded database has one connection and no checkout timeout to pass' }, () => {
  let sb: TestBroker;
  before(async () => {
    sb = await startTestBroker({ DATABASE_POOL_SIZE: '2', DATABASE_POOL_CHECKOUT_TIMEOUT_MS: '3000' });
  });
  after(() => sb.close());

  test('waits for a connection past the checkout timeout, then records; the session takes the next turn', async () => {
    const tenant = await createTenantWithKeys(sb, ['admin', 'app']);
    const agent = uniqueName('agent');
    assert.equal((await sb.as(tenant.keys.admin.key).post('/v1/agents', { name: agent, defaultProvider: 'claude', targets: sb.broker.runtimes.demoTargets() })).status, 201);
    const user = sb.as(tenant.keys.app.key, { 'x-end-user': 'patient' });
    const session = (await user.post('/v1/sessions', { agent })).json;
    // The agent takes 600 ms: long enough to take every connection from under the turn while it runs.
    sb.broker.runtimes.emulator<Faults>('claude')!.faults.add('turns.run', { kind: 'delay', ms: 600 });
    const turn = user.post(`/v1/sessions/${session.id}/turns`, { input: 'slowly' });
    await new Promise((resolve) => setTimeout(resolve, 250));
    // Both connections held for 7 s: the turn ends at ~600 ms and its record waits past two checkout timeouts.
    // (The timeout also bounds opening a connection, which a start that loads four SDKs can delay by a second or more.)
    const database = sb.broker.database.database;
    const hold = () => database.inTenant(tenant.tenantId, (tx) => tx.rows('SELECT pg_sleep(7)'));
    const held = Promise.all([hold(), hold()]);
    const answered = await turn;
    await held;
    assert.equal(answered.status, 200, answered.text);
    assert.equal(answered.json.turn.status, 'completed');
    const next = await user.post(`/v1/sessions/${session.id}/turns`, { input: 'again' });
    assert.equal(next.status, 200, `the session is not left claimed: ${next.text}`);
    const first = await user.get(`/v1/sessions/${session.id}/turns/${answered.json.turn.id}`);
    assert.equal(first.json.turn.status, 'completed', 'recorded as completed');
  });
});
