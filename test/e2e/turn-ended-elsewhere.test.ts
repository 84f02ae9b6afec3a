import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createTenantWithKeys, startTestBroker, uniqueName, type TestBroker } from '../support/test-broker.js';

type Faults = { faults: { add(op: string, fault: object): void } };

/**
 * A turn ended elsewhere while it ran (a reaper or a termination on another
 * replica that took this one for gone): its record, one round trip that
 * does not wait for the end's answer (issue 17), writes nothing — no meter
 * record, no budget settlement — and the client is told 409
 * turn_ended_elsewhere.
 */
describe('a turn ended elsewhere during its run', () => {
  let sb: TestBroker;
  before(async () => {
    sb = await startTestBroker({ TURN_COST_ESTIMATE_USD: '0.25' });
  });
  after(() => sb.close());

  test('its record writes nothing and the client gets 409 turn_ended_elsewhere', async () => {
    const tenant = await createTenantWithKeys(sb, ['app', 'admin']);
    const agent = uniqueName('agent');
    assert.equal((await sb.as(tenant.keys.admin.key).post('/v1/agents', { name: agent, defaultProvider: 'claude', targets: sb.broker.runtimes.demoTargets() })).status, 201);
    assert.equal((await sb.as(tenant.keys.admin.key).put('/v1/limits', { monthlyBudgetUsdPerUser: '10', monthlyBudgetUsdPerTenant: '100' })).status, 200);
    const user = sb.as(tenant.keys.app.key, { 'x-end-user': 'lost' });
    const sessionId = (await user.post('/v1/sessions', { agent })).json.id as string;
    const sql = <T>(text: string, parameters: unknown[] = []) => sb.broker.database.database.query<T>(text, parameters);

    sb.broker.runtimes.emulator<Faults>('claude')!.faults.add('turns.run', { kind: 'delay', ms: 1500, times: 1 });
    const answered = user.post(`/v1/sessions/${sessionId}/turns`, { input: 'hello?' });
    let turnId: string | undefined;
    for (let attempt = 0; !turnId && attempt < 500; attempt += 1) {
      turnId = (await sql<{ id: string }>(`SELECT id FROM turns WHERE session_id = $1 AND status = 'running'`, [sessionId]))[0]?.id;
      if (!turnId) await new Promise((resolve) => setTimeout(resolve, 10));
    }
    assert.ok(turnId, 'the turn started');
    // What another replica's end of the turn writes first: the turn's row.
    await sql(`UPDATE turns SET status = 'failed', ended_at = now() WHERE id = $1`, [turnId]);
    const ledgers = () => sql<{ user_id: string; spent: string; reserved: string }>(
      `SELECT user_id, spent_usd::text AS spent, reserved_usd::text AS reserved FROM budget_ledgers WHERE tenant_id = $1 ORDER BY user_id`,
      [tenant.tenantId],
    );
    const before = await ledgers();
    assert.ok(before.length === 2 && before.every((ledger) => Number(ledger.reserved) === 0.25), `the turn's reservation: ${JSON.stringify(before)}`);

    const response = await answered;
    assert.equal(response.status, 409, response.text);
    assert.equal(response.json.reason, 'turn_ended_elsewhere');
    assert.deepEqual(await sql(`SELECT id FROM meter_records WHERE turn_id = $1`, [turnId]), [], 'no meter record');
    assert.deepEqual(await ledgers(), before, 'no budget settlement');
    const [turn] = await sql<{ status: string; events: string }>(
      `SELECT t.status, (SELECT count(*) FROM session_events e WHERE e.turn_id = t.id AND e.type IN ('turn.completed', 'turn.failed'))::text AS events FROM turns t WHERE t.id = $1`,
      [turnId],
    );
    assert.deepEqual(turn, { status: 'failed', events: '0' }, 'the first end stands; no terminal event of this record');
    const [session] = await sql<{ cost_usd: string; turn_count: number }>(`SELECT cost_usd::text, turn_count FROM sessions WHERE id = $1`, [sessionId]);
    assert.equal(Number(session.cost_usd), 0);
    assert.equal(session.turn_count, 0);
  });
});
