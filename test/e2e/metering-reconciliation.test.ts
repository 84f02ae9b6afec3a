import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import Anthropic from '@anthropic-ai/sdk';
import type { ClaudeEmulator } from '#providers/claude';
import type { FoundryEmulator } from '#providers/foundry';
import type { HttpClient } from '../support/http-client.js';
import { createTenantWithKeys, startTestBroker, uniqueName, type TestBroker } from '../support/test-broker.js';
import { brokerClaims, describeFocusReport, parseFocusCsv, textRow, validateFocus } from '../data/focus-validator.js';
import { asSuperuser } from '../support/superuser.js';

/**
 * Metering says what it knows (issue 15 items 3, 8, 10), over real HTTP to
 * the emulators and the real database:
 * - AgentCore bills compute over the session's whole life, idle included:
 *   the ended session's records add up to first invocation → end;
 * - Foundry bills compute while the session is active, idle window included:
 *   the ended session's records add up to its own `created_at` →
 *   `stopped_at`, and a response without usage is "not reported";
 * - the reconciliation is its own record, charged when made, so the export
 *   of a closed period never changes, and a correction of an earlier billing
 *   period is a FOCUS `Correction`.
 * Time moves the way the lifecycle tests move it: the broker's clock by
 * backdating rows, the Foundry emulator's by its clock.
 */
describe('metering: ended sessions are reconciled with what the provider bills', () => {
  let sb: TestBroker;
  let app: HttpClient;
  let finance: HttpClient;
  let foundry: FoundryEmulator;
  let agentId: string;

  const sql = <T = Record<string, unknown>>(text: string, parameters: unknown[] = []) => sb.broker.database.database.query<T>(text, parameters);

  before(async () => {
    sb = await startTestBroker();
    foundry = sb.broker.runtimes.emulator<FoundryEmulator>('foundry')!;
    const tenant = await createTenantWithKeys(sb, ['app', 'admin', 'finance']);
    const targets = sb.broker.runtimes.demoTargets();
    const agent = await sb.as(tenant.keys.admin.key).post('/v1/agents', { name: uniqueName('metered'), defaultProvider: 'agentcore', targets: { agentcore: targets.agentcore, foundry: targets.foundry, claude: targets.claude } });
    assert.equal(agent.status, 201, agent.text);
    agentId = agent.json.id;
    app = sb.as(tenant.keys.app.key, { 'x-end-user': 'metered-user' });
    finance = sb.as(tenant.keys.finance.key);
  });
  beforeEach(() => foundry.faults.clear());
  after(() => sb.close());

  const createSession = async (provider: 'agentcore' | 'foundry' | 'claude') => {
    const created = await app.post('/v1/sessions', { agent: agentId, provider });
    assert.equal(created.status, 201, created.text);
    return created.json.id as string;
  };
  const runTurn = async (sessionId: string, input: string) => {
    const turn = await app.post(`/v1/sessions/${sessionId}/turns`, { input });
    assert.equal(turn.status, 200, turn.text);
    assert.equal(turn.json.turn.status, 'completed');
    return turn.json.turn as { id: string; usage: Record<string, unknown> };
  };
  const endSession = async (sessionId: string) => {
    const ended = await app.delete(`/v1/sessions/${sessionId}`);
    assert.equal(ended.status, 200, ended.text);
  };
  interface RecordRow {
    kind: string;
    turn_id: string | null;
    vcpu_seconds: string | null;
    gib_seconds: string | null;
    compute_estimated: boolean;
    tokens_reported: boolean;
    input_tokens: string;
    output_tokens: string;
    cache_read_input_tokens: string;
    cache_creation_5m_input_tokens: string;
  }
  const recordsOf = (sessionId: string) =>
    sql<RecordRow>(
      `SELECT kind, turn_id, vcpu_seconds::text, gib_seconds::text, compute_estimated, tokens_reported, input_tokens::text, output_tokens::text,
         cache_read_input_tokens::text, cache_creation_5m_input_tokens::text
       FROM meter_records WHERE session_id = $1 ORDER BY id`,
      [sessionId],
    );
  const total = (records: RecordRow[], column: 'vcpu_seconds' | 'gib_seconds') => records.reduce((sum, record) => sum + Number(record[column] ?? 0), 0);
  /** Moves every row of the session back by `interval` (append-only meter rows too: replica mode skips their triggers, in this transaction only). */
  const backdate = (sessionId: string, interval: string) =>
    asSuperuser(sb.broker.database.database, async (query) => {
      await query(`SET LOCAL session_replication_role = replica`);
      await query(`UPDATE sessions SET created_at = created_at - $2::interval, last_activity_at = last_activity_at - $2::interval WHERE id = $1`, [sessionId, interval]);
      await query(`UPDATE turns SET started_at = started_at - $2::interval, ended_at = ended_at - $2::interval WHERE session_id = $1`, [sessionId, interval]);
      await query(`UPDATE meter_records SET period_start = period_start - $2::interval, period_end = period_end - $2::interval WHERE session_id = $1`, [sessionId, interval]);
      await query(`UPDATE meter_charges SET charge_period_start = charge_period_start - $2::interval, charge_period_end = charge_period_end - $2::interval WHERE session_id = $1`, [sessionId, interval]);
    });

  test('AgentCore: an ended session’s compute covers its first invocation to its end, idle time between turns included', async () => {
    const sessionId = await createSession('agentcore');
    const first = await runTurn(sessionId, 'Where is my refund?');
    // Ten idle minutes between the turns (under AgentCore's 15-minute idle timeout): the microVM stays up, and is billed.
    await sql(`UPDATE turns SET started_at = started_at - interval '10 minutes', ended_at = ended_at - interval '10 minutes' WHERE id = $1`, [first.id]);
    await runTurn(sessionId, 'Thanks, and the second order?');
    await endSession(sessionId);

    const [life] = await sql<{ seconds: string }>(
      `SELECT extract(epoch FROM s.ended_at - (SELECT min(started_at) FROM turns WHERE session_id = s.id))::text AS seconds FROM sessions s WHERE s.id = $1`,
      [sessionId],
    );
    const lifeSeconds = Number(life.seconds);
    assert.ok(lifeSeconds > 600, `${lifeSeconds} s from first invocation to end`);
    const records = await recordsOf(sessionId);
    const turnsOnly = records.filter((record) => record.kind === 'turn');
    assert.equal(turnsOnly.length, 2);
    assert.ok(total(turnsOnly, 'vcpu_seconds') < 2 * 60, 'the turns alone metered their own seconds only');
    const reconciliations = records.filter((record) => record.kind === 'session-reconciliation');
    assert.equal(reconciliations.length, 1, 'one reconciliation record');
    assert.equal(reconciliations[0].turn_id, null);
    assert.equal(reconciliations[0].compute_estimated, true, 'AgentCore reports no usage: the session compute is an estimate');
    // The demo target is 2 vCPU, 8 GiB: the records add up to the session's life at that size (to the millisecond).
    assert.ok(Math.abs(total(records, 'vcpu_seconds') - 2 * lifeSeconds) < 0.01, `${total(records, 'vcpu_seconds')} vCPU-s for ${lifeSeconds} s`);
    assert.ok(Math.abs(total(records, 'gib_seconds') - 8 * lifeSeconds) < 0.04, `${total(records, 'gib_seconds')} GiB-s for ${lifeSeconds} s`);

    // Ending again reconciles nothing more.
    await endSession(sessionId);
    assert.equal((await recordsOf(sessionId)).filter((record) => record.kind === 'session-reconciliation').length, 1);
  });

  test('Foundry: a response without usage is "not reported"; the ended session is billed from its created_at to its stopped_at', async () => {
    const sessionId = await createSession('foundry');
    foundry.faults.add('responses.usage', { kind: 'omit' });
    const unreported = await runTurn(sessionId, 'Hello there');
    assert.equal(unreported.usage.usageReported, false, 'the zeros are not measurements');
    assert.deepEqual([unreported.usage.inputTokens, unreported.usage.outputTokens], [0, 0]);
    assert.equal((unreported.usage.compute as { estimated: boolean }).estimated, true, 'per-turn compute is the broker’s estimate');
    const reported = await runTurn(sessionId, 'And now?');
    assert.equal(reported.usage.usageReported, undefined, 'reported usage needs no flag');
    assert.ok((reported.usage.inputTokens as number) > 0);

    // Ten minutes pass at the service inside the session's 15-minute idle window: the sandbox stays active, and is billed.
    foundry.clock.advance(600_000);
    await endSession(sessionId);

    const records = await recordsOf(sessionId);
    assert.deepEqual(records.filter((record) => record.kind === 'turn').map((record) => record.tokens_reported), [false, true]);
    const [reconciliation] = records.filter((record) => record.kind === 'session-reconciliation');
    assert.ok(reconciliation, 'a reconciliation record');
    assert.equal(reconciliation.compute_estimated, false, 'from the session’s own timestamps');
    // The demo version is 1 vCPU, 2 GiB; created_at and stopped_at are whole seconds.
    const vcpu = total(records, 'vcpu_seconds');
    assert.ok(vcpu >= 599 && vcpu <= 603, `${vcpu} vCPU-s for ten minutes and two turns`);
    assert.ok(Math.abs(total(records, 'gib_seconds') - 2 * vcpu) < 0.01);
  });

  test('Claude: the ended session’s reconciliation carries the tokens its turns missed, up to what sessions.retrieve reports', async () => {
    const emulator = sb.broker.runtimes.emulator<ClaudeEmulator>('claude')!;
    const sessionId = await createSession('claude');
    await runTurn(sessionId, 'Where is my refund?');
    // The read after the second turn fails (with the SDK's retries); that turn also ends without a session.usage snapshot (the emulator skips every second one).
    emulator.faults.add('sessions.retrieve', { kind: 'status', status: 500, times: 3 });
    await runTurn(sessionId, 'And the second order?');
    emulator.faults.clear();
    await endSession(sessionId);

    const [providerSessionId] = (await sql<{ provider_session_id: string }>(`SELECT provider_session_id FROM sessions WHERE id = $1`, [sessionId])).map((row) => row.provider_session_id);
    const { usage } = await new Anthropic({ apiKey: 'sk-ant-test', baseURL: emulator.url, maxRetries: 0 }).beta.sessions.retrieve(providerSessionId);
    const records = await recordsOf(sessionId);
    const [reconciliation] = records.filter((record) => record.kind === 'session-reconciliation');
    assert.ok(reconciliation, 'a reconciliation record');
    assert.equal(reconciliation.tokens_reported, true, 'from the provider’s session totals');
    assert.ok(Number(reconciliation.output_tokens) > 0, 'the second turn’s output tokens arrive with the reconciliation');
    const sum = (column: 'input_tokens' | 'output_tokens' | 'cache_read_input_tokens' | 'cache_creation_5m_input_tokens') => records.reduce((total, record) => total + Number(record[column]), 0);
    assert.deepEqual(
      [sum('input_tokens'), sum('output_tokens'), sum('cache_read_input_tokens'), sum('cache_creation_5m_input_tokens')],
      [usage.input_tokens, usage.output_tokens, usage.cache_read_input_tokens, usage.cache_creation?.ephemeral_5m_input_tokens],
      'the records add up to what Claude bills',
    );
  });

  test('the export shows provenance and reconciliation rows; a correction of an earlier period is a FOCUS Correction and leaves that period’s export unchanged', async () => {
    const thisPeriod = new Date(Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), 1)).toISOString();
    const earlier = new Date(Date.now() - 60 * 24 * 3600_000).toISOString();
    const exportOf = async (from: string, to: string) => {
      const response = await finance.get(`/v1/costs/export?format=focus-csv&from=${from}&to=${to}`);
      assert.equal(response.status, 200, response.text);
      return response.text;
    };

    // A session whose turns ran in an earlier billing period, ended now.
    const late = await createSession('agentcore');
    await runTurn(late, 'Hello from last month');
    await runTurn(late, 'Still there?');
    await backdate(late, '40 days');
    // And one that began and ended in this period.
    const current = await createSession('agentcore');
    const currentTurn = await runTurn(current, 'Hello from this month');
    // Its microVM ran five minutes before the turn ended (the broker's clock): a difference for the reconciliation to charge.
    await sql(`UPDATE turns SET started_at = started_at - interval '5 minutes' WHERE id = $1`, [currentTurn.id]);

    const closedBefore = await exportOf(earlier, thisPeriod);
    assert.ok(parseFocusCsv(closedBefore).rows.some((row) => row.ResourceId === late), 'the earlier period carries the late session’s turns');
    await endSession(late);
    await endSession(current);
    assert.equal(await exportOf(earlier, thisPeriod), closedBefore, 'the closed period exports byte for byte the same');

    const dataset = parseFocusCsv(await exportOf(thisPeriod, new Date(Date.now() + 60_000).toISOString()));
    const report = validateFocus(dataset, { version: '1.2', format: 'csv', claims: brokerClaims, providerTagPrefixes: ['switchboard/'] });
    assert.deepEqual(describeFocusReport(report), [], 'no MUST violation of the official FOCUS model');
    const rows = dataset.rows.map(textRow);
    for (const row of rows) assert.ok(['estimated', 'provider-reported'].includes(row.x_CostBasis!), 'every line says its provenance');

    const lateRows = rows.filter((row) => row.ResourceId === late);
    assert.ok(lateRows.length > 0, 'the late session’s reconciliation lands in this period');
    for (const row of lateRows) {
      assert.equal(row.x_ChargeSource, 'session-reconciliation');
      assert.equal(row.ChargeClass, 'Correction', `${row.SkuId} corrects the earlier period`);
      assert.equal(row.x_CostBasis, 'estimated');
      assert.match(row.ChargeDescription!, /session reconciliation/);
    }
    assert.deepEqual(new Set(lateRows.map((row) => row.SkuId)), new Set(['agentcore/vcpu-hour', 'agentcore/gib-hour']));

    const currentRows = rows.filter((row) => row.ResourceId === current);
    assert.ok(currentRows.some((row) => row.x_ChargeSource === 'turn' && !row.ChargeClass), 'turn lines are no corrections');
    const currentReconciliation = currentRows.filter((row) => row.x_ChargeSource === 'session-reconciliation');
    assert.ok(currentReconciliation.length > 0, 'a reconciliation row for the session of this period');
    for (const row of currentReconciliation) assert.ok(!row.ChargeClass, 'a reconciliation within its own period is no Correction');
  });
});
