import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { TranscriptRetention } from '../../apps/broker/src/erasure/transcript-retention.js';
import { Reaper } from '../../apps/broker/src/lifecycle/reaper.js';
import { createTenantWithKeys, startTestBroker, uniqueName, type TestBroker } from '../support/test-broker.js';

/**
 * `transcriptRetentionDays` (API.md §5), on whichever database the suite
 * runs: content older than a tenant's retention is purged (events deleted,
 * turn text emptied) while the turn's usage stays, content within it stays,
 * and a tenant without retention keeps everything.
 */
describe('transcript retention', () => {
  let sb: TestBroker;
  before(async () => (sb = await startTestBroker()));
  after(() => sb.close());

  /** A tenant with one session of two turns, the first of them (its row and events) moved `daysAgo` into the past. */
  async function tenantWithOldTurn(daysAgo: number) {
    const tenant = await createTenantWithKeys(sb, ['app', 'admin', 'finance']);
    const admin = sb.as(tenant.keys.admin.key);
    const agent = await admin.post('/v1/agents', { name: uniqueName('agent'), defaultProvider: 'claude', targets: { claude: sb.broker.runtimes.demoTargets().claude } });
    assert.equal(agent.status, 201, agent.text);
    const app = sb.as(tenant.keys.app.key, { 'x-end-user': 'retained' });
    const session = (await app.post('/v1/sessions', { agent: agent.json.id })).json.id as string;
    const turns: string[] = [];
    for (const input of ['an old question', 'a recent question']) {
      const turn = await app.post(`/v1/sessions/${session}/turns`, { input });
      assert.equal(turn.status, 200, turn.text);
      turns.push(turn.json.turn.id);
    }
    const past = `now() - interval '${daysAgo} days'`;
    await sb.broker.database.database.query(`UPDATE session_events SET at = ${past} WHERE turn_id = $1`, [turns[0]]);
    await sb.broker.database.database.query(`UPDATE turns SET started_at = ${past}, ended_at = ${past} WHERE id = $1`, [turns[0]]);
    const eventsOf = async () => ((await app.get(`/v1/sessions/${session}/events`)).json.data as Array<{ turnId: string | null }>).map((event) => event.turnId);
    const turn = async (id: string) => (await app.get(`/v1/sessions/${session}/turns/${id}`)).json.turn;
    return { tenant, admin, finance: sb.as(tenant.keys.finance.key), turns, eventsOf, turn };
  }

  test('content past the retention is purged; newer content, usage and costs stay; a tenant without retention keeps everything', async () => {
    const kept = await tenantWithOldTurn(3);
    const purged = await tenantWithOldTurn(3);
    const policy = await purged.admin.put('/v1/limits', { transcriptRetentionDays: 2 });
    assert.equal(policy.status, 200, policy.text);
    assert.equal(policy.json.transcriptRetentionDays, 2);
    assert.equal((await kept.admin.get('/v1/limits')).json.transcriptRetentionDays, null);
    const costs = (await purged.finance.get('/v1/costs/summary')).json.total;
    const oldTurn = await purged.turn(purged.turns[0]);
    assert.ok(oldTurn.output.length > 0);
    const keptEvents = await kept.eventsOf();

    assert.ok((await sb.broker.app.get(TranscriptRetention).purgeExpired()) > 0);

    const events = await purged.eventsOf();
    assert.ok(events.length > 0);
    assert.ok(!events.includes(purged.turns[0]), JSON.stringify(events));
    assert.ok(events.includes(purged.turns[1]));
    const after = await purged.turn(purged.turns[0]);
    assert.deepEqual(after.output, []);
    assert.deepEqual([after.status, after.usage], [oldTurn.status, oldTurn.usage]);
    assert.ok((await purged.turn(purged.turns[1])).output.length > 0);
    assert.equal((await purged.finance.get('/v1/costs/summary')).json.total, costs);
    const [row] = await sb.broker.database.database.query<{ input: unknown; content_purged_at: Date | null }>(
      `SELECT input, content_purged_at FROM turns WHERE id = $1`,
      [purged.turns[0]],
    );
    assert.equal(row.input, null);
    assert.ok(row.content_purged_at);

    // The tenant without retention kept its old content.
    assert.deepEqual(await kept.eventsOf(), keptEvents);
    assert.ok((await kept.turn(kept.turns[0])).output.length > 0);
    // A second pass finds nothing more of it.
    const again = await tenantWithOldTurn(1);
    await again.admin.put('/v1/limits', { transcriptRetentionDays: 2 });
    const before = await again.eventsOf();
    await sb.broker.app.get(TranscriptRetention).purgeExpired();
    assert.deepEqual(await again.eventsOf(), before);
  });

  test('the policy field is validated and null keeps content again', async () => {
    const { admin } = await tenantWithOldTurn(10);
    assert.equal((await admin.put('/v1/limits', { transcriptRetentionDays: 0 })).status, 400);
    assert.equal((await admin.put('/v1/limits', { transcriptRetentionDays: 1.5 })).status, 400);
    assert.equal((await admin.put('/v1/limits', { transcriptRetentionDays: 30 })).json.transcriptRetentionDays, 30);
    assert.equal((await admin.put('/v1/limits', { transcriptRetentionDays: null })).json.transcriptRetentionDays, null);
  });

  test("the purge is a step of the reaper's daily sweep", async () => {
    const report = await sb.broker.app.get(Reaper).sweepOnce();
    assert.equal(typeof report.transcript_retention, 'number');
  });
});
