import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import Anthropic from '@anthropic-ai/sdk';
import { newId } from '#libs/ids';
import { Database } from '#libs/persistence';
import { startClaudeEmulator, type ClaudeEmulator } from '#providers/claude';
import { appConfigToken } from '../../apps/broker/src/app.tokens.js';
import { sweepIntervalMs } from '../../apps/broker/src/lifecycle/lifecycle-settings.js';
import { LifecycleSweeps } from '../../apps/broker/src/lifecycle/lifecycle-sweeps.js';
import { TurnAbandonment, turnAbandonedListeners, type AbandonedTurn, type TurnAbandonedListener } from '../../apps/broker/src/lifecycle/turn-abandonment.js';
import { ProviderCalls } from '../../apps/broker/src/runtimes/provider-calls.js';
import { RuntimeRegistry } from '../../apps/broker/src/runtimes/runtime-registry.js';
import { SessionTerminator } from '../../apps/broker/src/sessions/session-terminator.js';
import type { HttpClient } from '../support/http-client.js';
import { createTenantWithKeys, startTestBroker, uniqueName, type TestBroker } from '../support/test-broker.js';
import { grantTargets } from '../support/target-grants.js';
import { dedicatedDatabase } from '../support/dedicated-database.js';

/**
 * The reaper on one broker, on whichever database the suite runs (embedded
 * or PostgreSQL): sessions past a deadline are ended by the broker itself,
 * with no client request, and stopped at the provider; turns lost with
 * their replica are closed and their hold released.
 */
describe('lifecycle: the reaper ends what is due', () => {
  let sb: TestBroker;
  let emulator: ClaudeEmulator;
  let claude: Anthropic;
  let app: HttpClient;
  let auditor: HttpClient;
  let agentName: string;
  let dropDatabase: (() => Promise<void>) | undefined;
  const abandoned: AbandonedTurn[] = [];

  before(async () => {
    // Claude runs live against an emulator of the test's own (the emulated
    // runtime's status checks are off on PostgreSQL), on a database of the
    // test's own, so this broker's reaper is the one that acts.
    emulator = await startClaudeEmulator();
    claude = new Anthropic({ apiKey: 'sk-ant-test', baseURL: emulator.url, maxRetries: 0 });
    const database = process.env.DATABASE_URL ? await dedicatedDatabase(process.env.DATABASE_URL) : undefined;
    dropDatabase = database?.drop;
    sb = await startTestBroker({
      ...(database ? { DATABASE_URL: database.url } : {}),
      PROVIDER_CALL_TIMEOUT_MS: '1000',
      PROVIDER_MAX_RETRIES: '0',
      SWITCHBOARD_CLAUDE_MODE: 'live',
      ANTHROPIC_API_KEY: 'sk-ant-test',
      ANTHROPIC_BASE_URL: emulator.url,
    });
    const tenant = await createTenantWithKeys(sb, ['app', 'admin', 'auditor']);
    // Claude runs live (against the emulator's URL): its targets need the operator's grant.
    await grantTargets(sb, tenant.tenantId, { claude: emulator.demoTarget });
    agentName = uniqueName('agent');
    const agent = await sb.as(tenant.keys.admin.key).post('/v1/agents', { name: agentName, defaultProvider: 'claude', targets: { claude: emulator.demoTarget } });
    assert.equal(agent.status, 201, agent.text);
    app = sb.as(tenant.keys.app.key, { 'x-end-user': 'lifecycle-user' });
    auditor = sb.as(tenant.keys.auditor.key);
    const recorder: TurnAbandonedListener = { onTurnAbandoned: async (_manager, turn) => void abandoned.push(turn) };
    sb.broker.app.get<TurnAbandonedListener[]>(turnAbandonedListeners).push(recorder);
  });
  after(async () => {
    await sb.close();
    await emulator.stop();
    await dropDatabase?.();
  });

  const sql = <T = Record<string, unknown>>(text: string, parameters: unknown[] = []) => sb.broker.database.database.query<T>(text, parameters);
  const createSession = async () => {
    const created = await app.post('/v1/sessions', { agent: agentName });
    assert.equal(created.status, 201, created.text);
    return created.json as { id: string; providerSession: { id: string } };
  };
  /** Polls the row (not the API: a read through the API would end an expired session itself). */
  const rowWhen = async (id: string, done: (row: SessionRow) => boolean, withinMs: number): Promise<SessionRow> => {
    const deadline = Date.now() + withinMs;
    for (;;) {
      const [row] = await sql<SessionRow>(`SELECT status, termination_reason, provider_stopped_at, current_turn_id FROM sessions WHERE id = $1`, [id]);
      if (done(row) || Date.now() > deadline) return row;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };
  const withinOneSweep = sweepIntervalMs * 2 + 5_000;
  const archivedAt = async (providerSessionId: string) => (await claude.beta.sessions.retrieve(providerSessionId)).archived_at ?? null;

  test('a session past its idle deadline is terminated idle_timeout without any request, and archived at Claude', async () => {
    const session = await createSession();
    assert.equal(await archivedAt(session.providerSession.id), null);
    await sql(`UPDATE sessions SET idle_expires_at = now() - interval '1 second' WHERE id = $1`, [session.id]);
    const row = await rowWhen(session.id, (current) => current.provider_stopped_at !== null, withinOneSweep);
    assert.equal(row.status, 'terminated');
    assert.equal(row.termination_reason, 'idle_timeout');
    assert.notEqual(row.provider_stopped_at, null, 'the provider stop is recorded');
    assert.notEqual(await archivedAt(session.providerSession.id), null, 'the Claude session is archived');
    const audit = await auditor.get(`/v1/audit/events?session=${session.id}&type=session.terminated`);
    assert.equal(audit.status, 200, audit.text);
    assert.deepEqual(
      audit.json.data.map((event: { detail: { reason: string }; actor: { kind: string } }) => [event.detail.reason, event.actor.kind]),
      [['idle_timeout', 'system']],
    );
    const seen = await app.get(`/v1/sessions/${session.id}`);
    assert.equal(seen.json.terminationReason, 'idle_timeout');
  });

  test('a session past its lifetime is terminated max_lifetime, even with its idle deadline ahead', async () => {
    const session = await createSession();
    await sql(`UPDATE sessions SET expires_at = now() - interval '1 second', idle_expires_at = now() + interval '1 hour' WHERE id = $1`, [session.id]);
    const row = await rowWhen(session.id, (current) => current.provider_stopped_at !== null, withinOneSweep);
    assert.deepEqual([row.status, row.termination_reason], ['terminated', 'max_lifetime']);
    assert.notEqual(await archivedAt(session.providerSession.id), null);
  });

  test("a turn whose replica died is failed broker_lost_turn, the claim released, the listener told; the session takes turns again", async () => {
    const session = await createSession();
    const turnId = newId('trn');
    const [{ tenant_id: tenantId, next_event_seq: seq }] = await sql<{ tenant_id: string; next_event_seq: string }>(
      `SELECT tenant_id, next_event_seq FROM sessions WHERE id = $1`,
      [session.id],
    );
    // What a replica leaves when it dies mid-turn: the claim, the running turn and its turn.started event,
    // older than the turn timeout (10 min) plus the margin.
    await sql(`INSERT INTO turns (id, tenant_id, session_id, user_id, status, input, started_at) VALUES ($1, $2, $3, 'lifecycle-user', 'running', '[]', now() - interval '15 minutes')`, [turnId, tenantId, session.id]);
    await sql(`INSERT INTO session_events (tenant_id, session_id, seq, id, turn_id, type, at, data) VALUES ($1, $2, $3, $4, $5, 'turn.started', now(), '{}')`, [tenantId, session.id, seq, newId('evt'), turnId]);
    await sql(
      `UPDATE sessions SET status = 'active', current_turn_id = $2, turn_started_at = now() - interval '15 minutes', next_event_seq = next_event_seq + 1 WHERE id = $1`,
      [session.id, turnId],
    );
    const row = await rowWhen(session.id, (current) => current.current_turn_id === null, withinOneSweep);
    assert.deepEqual([row.status, row.current_turn_id], ['idle', null]);
    const [turn] = await sql<{ status: string; error: { code: string } }>(`SELECT status, error FROM turns WHERE id = $1`, [turnId]);
    assert.deepEqual([turn.status, turn.error.code], ['failed', 'broker_lost_turn']);
    assert.deepEqual(abandoned.filter((entry) => entry.id === turnId).map((entry) => [entry.sessionId, entry.tenantId, entry.userId]), [[session.id, tenantId, 'lifecycle-user']]);
    const events = (await app.get(`/v1/sessions/${session.id}/events`)).json.data as Array<{ type: string; turnId: string; data: { error?: { code: string } } }>;
    assert.deepEqual(
      events.map((event) => [event.type, event.turnId, event.data.error?.code]),
      [['turn.started', turnId, undefined], ['turn.failed', turnId, 'broker_lost_turn']],
    );
    const next = await app.post(`/v1/sessions/${session.id}/turns`, { input: 'and now?' });
    assert.equal(next.status, 200, next.text);
  });

  /** A sweep step on its own, through a fresh LifecycleSweeps (its rolling scans start a pass at once). */
  const freshSweeps = () =>
    new LifecycleSweeps(
      sb.broker.app.get(Database),
      sb.broker.app.get(RuntimeRegistry),
      sb.broker.app.get(ProviderCalls),
      sb.broker.app.get(SessionTerminator),
      sb.broker.app.get(TurnAbandonment),
      sb.broker.app.get(appConfigToken),
    );

  test('a session Claude lost is terminated provider by the status check', async () => {
    const session = await createSession();
    emulator.expireSession(session.providerSession.id);
    const acted = await freshSweeps().checkProviderStatus(() => false);
    assert.ok(acted >= 1);
    const row = await rowWhen(session.id, (current) => current.status === 'terminated', 0);
    assert.deepEqual([row.status, row.termination_reason], ['terminated', 'provider']);
  });

  test('a provider stop that failed is retried until it succeeds', async () => {
    const session = await createSession();
    emulator.faults.add('sessions.archive', { kind: 'status', status: 503, times: 3 });
    assert.equal((await app.delete(`/v1/sessions/${session.id}`)).status, 200);
    const failed = await rowWhen(session.id, () => true, 0);
    assert.deepEqual([failed.status, failed.provider_stopped_at], ['terminated', null]);
    assert.equal(await archivedAt(session.providerSession.id), null);
    emulator.faults.clear();
    // Past the settling time the retries wait for (the termination's own stop may still be running).
    await sql(`UPDATE sessions SET ended_at = now() - interval '1 minute' WHERE id = $1`, [session.id]);
    await freshSweeps().retryProviderStops(() => false);
    const row = await rowWhen(session.id, () => true, 0);
    assert.notEqual(row.provider_stopped_at, null);
    assert.notEqual(await archivedAt(session.providerSession.id), null);
  });
});

interface SessionRow {
  status: string;
  termination_reason: string | null;
  provider_stopped_at: Date | null;
  current_turn_id: string | null;
}
