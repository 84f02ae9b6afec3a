import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import pg from 'pg';
import { startClaudeEmulator, type ClaudeEmulator } from '#providers/claude';
import { lifecycleThresholds, sweepIntervalMs } from '../../apps/broker/src/lifecycle/lifecycle-settings.js';
import { loadConfig } from '#libs/config';
import { claudeLiveOnly } from '../support/claude-live.js';
import { spawnBroker, type BrokerProcess } from '../support/broker-process.js';
import { HttpClient } from '../support/http-client.js';
import { grantTargets } from '../support/target-grants.js';

/**
 * The lifecycle across broker processes: exactly one replica leads the
 * reaper, a SIGKILLed leader is replaced within one lease, a replica that
 * dies in the middle of creating a session leaves nothing behind once
 * another one (or the same one, restarted) has swept, and a session ended
 * through one replica ends its turn running on another.
 *
 * Emulators live inside a broker process, so these brokers run their Claude
 * runtime `live` against one emulator in the test process, which outlives
 * them. On PostgreSQL each scenario gets a database of its own (advisory
 * locks are per database: the suite's other brokers do not take part in the
 * election); on the embedded database the replicas take turns on one folder.
 */
const postgres = process.env.DATABASE_URL;
const operatorKey = `sbk_test_operator_${randomBytes(16).toString('hex')}`;
const settings = { PROVIDER_CALL_TIMEOUT_MS: '1000', PROVIDER_MAX_RETRIES: '0' };
const thresholds = lifecycleThresholds(loadConfig(settings));

describe('lifecycle across replicas', () => {
  let emulator: ClaudeEmulator;
  let claude: Anthropic;
  const cleanups: Array<() => Promise<void>> = [];

  before(async () => {
    emulator = await startClaudeEmulator();
    claude = new Anthropic({ apiKey: 'sk-ant-test', baseURL: emulator.url, maxRetries: 0 });
  });
  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
    await emulator.stop();
  });

  /** A database for one scenario: a fresh PostgreSQL database, or an embedded data folder. */
  const freshDatabase = async (): Promise<Record<string, string>> => {
    if (!postgres) {
      const dataDir = mkdtempSync(path.join(tmpdir(), 'switchboard-lifecycle-'));
      cleanups.push(async () => rmSync(dataDir, { recursive: true, force: true }));
      return { SWITCHBOARD_DATA_DIR: dataDir };
    }
    const name = `sb_lifecycle_${randomBytes(6).toString('hex')}`;
    await withClient(postgres, (client) => client.query(`CREATE DATABASE ${name}`));
    cleanups.push(async () => void (await withClient(postgres, (client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`))));
    const url = new URL(postgres);
    url.pathname = `/${name}`;
    return { DATABASE_URL: url.toString() };
  };

  const start = async (database: Record<string, string>, extra: Record<string, string> = {}): Promise<BrokerProcess> => {
    const broker = await spawnBroker({
      ...database,
      ...settings,
      ...extra,
      SWITCHBOARD_ADMIN_KEY: operatorKey,
      SWITCHBOARD_SEED_DEMO: 'off',
      ...claudeLiveOnly(emulator.url),
    });
    cleanups.push(async () => {
      if (broker.child.exitCode === null && broker.child.signalCode === null) broker.child.kill('SIGKILL');
      await broker.exited;
    });
    return broker;
  };

  /** A tenant with admin and app keys, and an agent on the shared emulator. */
  const setUp = async (broker: BrokerProcess) => {
    const operator = new HttpClient(broker.url, { authorization: `Bearer ${operatorKey}` });
    const tenant = await operator.post('/v1/tenants', { name: `lifecycle-${randomBytes(4).toString('hex')}` });
    assert.equal(tenant.status, 201, tenant.text);
    const keys: Record<string, string> = {};
    for (const role of ['admin', 'app']) {
      const created = await operator.post(`/v1/tenants/${tenant.json.id}/api-keys`, { role, name: role });
      assert.equal(created.status, 201, created.text);
      keys[role] = created.json.key;
    }
    await grantTargets({ operator }, tenant.json.id as string, { claude: emulator.demoTarget });
    const admin = (url: string) => new HttpClient(url, { authorization: `Bearer ${keys.admin}` });
    const app = (url: string) => new HttpClient(url, { authorization: `Bearer ${keys.app}`, 'x-end-user': 'replica-user' });
    const agent = await admin(broker.url).post('/v1/agents', { name: 'replica-agent', defaultProvider: 'claude', targets: { claude: emulator.demoTarget } });
    assert.equal(agent.status, 201, agent.text);
    return { tenantId: tenant.json.id as string, admin, app };
  };

  const leads = async (broker: BrokerProcess): Promise<boolean> => /^switchboard_reaper_leader 1$/m.test(await (await fetch(`${broker.url}/metrics`)).text());
  /** The tenant's sessions at the emulator that still hold resources (neither archived nor terminated). */
  const runningAtClaude = async (tenantId: string) => {
    const page = await claude.beta.sessions.list({ agent_id: emulator.demoTarget.agentId, limit: 1000 });
    return page.data.filter((session) => session.metadata?.switchboard_tenant === tenantId && session.status !== 'terminated');
  };

  test('SIGKILL the leader: the other replica takes the lead and ends an expired session within one lease plus one sweep', { skip: !postgres && 'needs PostgreSQL (DATABASE_URL): on the embedded database one process is always the leader' }, async () => {
    const database = await freshDatabase();
    const replicas = [await start(database), await start(database)];
    const { tenantId, app } = await setUp(replicas[0]);
    const created = await app(replicas[1].url).post('/v1/sessions', { agent: 'replica-agent' });
    assert.equal(created.status, 201, created.text);

    let roles: boolean[] = [];
    for (const deadline = Date.now() + sweepIntervalMs * 3; Date.now() < deadline; await pause(200)) {
      roles = await Promise.all(replicas.map(leads));
      if (roles.filter(Boolean).length === 1) break;
    }
    assert.equal(roles.filter(Boolean).length, 1, `exactly one replica leads: ${JSON.stringify(roles)}`);
    const leader = replicas[roles.indexOf(true)];
    const survivor = replicas[roles.indexOf(false)];

    leader.child.kill('SIGKILL');
    assert.equal(await leader.exited, null, 'killed by the signal');
    await withClient(database.DATABASE_URL, (client) =>
      client.query(`UPDATE sessions SET idle_expires_at = now() - interval '1 second' WHERE id = $1`, [created.json.id]),
    );
    const killedAt = Date.now();
    let row: { status: string; termination_reason: string | null; provider_stopped_at: Date | null } | undefined;
    for (const deadline = killedAt + sweepIntervalMs * 2 + 3_000; Date.now() < deadline; await pause(100)) {
      [row] = (await withClient(database.DATABASE_URL, (client) =>
        client.query(`SELECT status, termination_reason, provider_stopped_at FROM sessions WHERE id = $1`, [created.json.id]),
      )).rows;
      if (row?.provider_stopped_at) break;
    }
    assert.deepEqual([row?.status, row?.termination_reason], ['terminated', 'idle_timeout'], `ended within ${Date.now() - killedAt} ms of the kill`);
    assert.notEqual(row?.provider_stopped_at, null, 'and stopped at the provider');
    assert.equal(await leads(survivor), true, 'the survivor leads');
    assert.match(survivor.output(), /this replica now leads the lifecycle sweeps/);
    assert.deepEqual(await runningAtClaude(tenantId), []);
  });

  test('a session terminated through one replica ends its turn running on another at once, even when the provider keeps streaming, and even if the notice was lost', { skip: !postgres && 'needs PostgreSQL (DATABASE_URL): the embedded database admits one process' }, async () => {
    const database = await freshDatabase();
    const [front, runner] = [await start(database), await start(database)];
    const { app } = await setUp(front);
    for (const variant of ['notified', 'notice lost while the listening connection was down']) {
      const created = await app(front.url).post('/v1/sessions', { agent: 'replica-agent' });
      assert.equal(created.status, 201, created.text);
      // The agent thinks for a minute, and Claude refuses the archive: only the broker can end this turn early.
      emulator.faults.add('turns.run', { kind: 'delay', ms: 60_000 });
      emulator.faults.add('sessions.archive', { kind: 'status', status: 500, times: 1_000 });
      try {
        const sendsBefore = emulator.stats.get('events.send');
        const turn = app(runner.url).post(`/v1/sessions/${created.json.id}/turns`, { input: 'a long question' });
        let started = false;
        for (const deadline = Date.now() + 30_000; !started && Date.now() < deadline; await pause(50)) {
          const events = (await app(front.url).get(`/v1/sessions/${created.json.id}/events`)).json.data as Array<{ type: string }>;
          started = events.some((event) => event.type === 'turn.started');
        }
        assert.ok(started, `${variant}: the turn started on the other replica`);
        if (variant !== 'notified') {
          // Both replicas' listening connections drop; the termination's notice reaches nobody.
          const killed = await withClient(database.DATABASE_URL, async (client) => {
            const { rows } = await client.query<{ pid: number }>(
              `SELECT pid FROM pg_stat_activity WHERE application_name = 'switchboard-session-ends' AND datname = current_database()`,
            );
            await client.query(`SELECT pg_terminate_backend(pid) FROM unnest($1::int[]) AS pid`, [rows.map((row) => row.pid)]);
            // pg_terminate_backend only signals: wait until those backends are gone (the replicas reconnect after ~1 s).
            for (let alive = rows.length; alive > 0; await pause(10)) {
              alive = (await client.query(`SELECT 1 FROM pg_stat_activity WHERE pid = ANY($1::int[])`, [rows.map((row) => row.pid)])).rowCount ?? 0;
            }
            return rows.length;
          });
          assert.equal(killed, 2, 'one listening connection per replica');
        }
        const terminated = await app(front.url).delete(`/v1/sessions/${created.json.id}`);
        assert.equal(terminated.status, 200, terminated.text);

        const answer = await turn;
        assert.equal(answer.status, 410, `${variant}: ${answer.text}`);
        assert.equal(answer.json.code, 'session_terminated');
        assert.equal(answer.json.terminationReason, 'client');
        const events = (await app(front.url).get(`/v1/sessions/${created.json.id}/events`)).json.data as Array<{ type: string; data: { error?: { code: string } } }>;
        assert.equal(events.at(-1)?.type, 'turn.failed');
        assert.equal(events.at(-1)?.data.error?.code, 'session_terminated');
        assert.equal(emulator.stats.get('events.send'), sendsBefore + 2, 'the message, then the interrupt of the abandoned turn');
      } finally {
        emulator.faults.clear();
      }
    }
    assert.match(runner.output(), /the session-end listening connection failed; reconnecting/);
  });

  test('turns running on a replica killed with SIGKILL end when their sessions end elsewhere (DELETE, admin kill switch, max lifetime), or at the reaper\'s threshold: none left running, ledgers hold only the metered cost', { skip: !postgres && 'needs PostgreSQL (DATABASE_URL): the embedded database admits one process' }, async () => {
    const database = await freshDatabase();
    const [doomed, survivor] = [await start(database), await start(database)];
    const { tenantId, admin, app } = await setUp(survivor);
    const limits = await admin(survivor.url).put('/v1/limits', { monthlyBudgetUsdPerUser: '50', monthlyBudgetUsdPerTenant: '500' });
    assert.equal(limits.status, 200, limits.text);
    const ledgers = async () => (await withClient(database.DATABASE_URL, (client) =>
      client.query<{ user_id: string; reserved_usd: string; spent_usd: string }>(`SELECT user_id, reserved_usd, spent_usd FROM budget_ledgers WHERE tenant_id = $1 ORDER BY user_id`, [tenantId]),
    )).rows;
    const turnsOf = async (sessionIds: string[]) => (await withClient(database.DATABASE_URL, (client) =>
      client.query<{ session_id: string; status: string; error: { code: string } | null }>(`SELECT session_id, status, error FROM turns WHERE session_id = ANY($1)`, [sessionIds]),
    )).rows;

    // One turn that completes, so the ledgers have a metered cost to match.
    const finished = await app(survivor.url).post('/v1/sessions', { agent: 'replica-agent' });
    assert.equal(finished.status, 201, finished.text);
    const completed = await app(survivor.url).post(`/v1/sessions/${finished.json.id}/turns`, { input: 'a short question' });
    assert.equal(completed.status, 200, completed.text);

    const endings = ['client DELETE', 'admin kill switch', 'max lifetime', 'a turn from before replica ids (the reaper\'s threshold)'] as const;
    const sessions: string[] = [];
    for (let index = 0; index < endings.length; index++) {
      const created = await app(survivor.url).post('/v1/sessions', { agent: 'replica-agent' });
      assert.equal(created.status, 201, created.text);
      sessions.push(created.json.id as string);
    }
    // The agent thinks for a minute: the turns are running on the doomed replica when it dies.
    emulator.faults.add('turns.run', { kind: 'delay', ms: 60_000, times: endings.length });
    try {
      const answers = sessions.map((id) => app(doomed.url).post(`/v1/sessions/${id}/turns`, { input: 'a long question' }).catch((error: unknown) => error));
      for (const deadline = Date.now() + 30_000; Date.now() < deadline; await pause(50)) {
        if ((await turnsOf(sessions)).length === sessions.length) break;
      }
      assert.deepEqual((await turnsOf(sessions)).map((turn) => turn.status), sessions.map(() => 'running'), 'every turn runs on the doomed replica');
      const reserved = await ledgers();
      assert.deepEqual(reserved.map((ledger) => Number(ledger.reserved_usd)), [0.2, 0.2], 'each running turn holds its reservation on both ledgers');

      doomed.child.kill('SIGKILL');
      assert.equal(await doomed.exited, null, 'killed by the signal');
      await Promise.all(answers);

      const [byClient, byAdmin, byLifetime, legacy] = sessions;
      assert.equal((await app(survivor.url).delete(`/v1/sessions/${byClient}`)).status, 200);
      assert.equal((await admin(survivor.url).post(`/v1/admin/sessions/${byAdmin}/terminate`, {})).status, 200);
      await withClient(database.DATABASE_URL, async (client) => {
        await client.query(`UPDATE sessions SET expires_at = now() - interval '1 second' WHERE id = $1`, [byLifetime]);
        // A turn claimed before turns named their replica: ending its session cannot tell whether its replica lives.
        await client.query(`UPDATE turns SET replica_id = NULL WHERE session_id = $1`, [legacy]);
      });
      assert.equal((await app(survivor.url).delete(`/v1/sessions/${legacy}`)).status, 200);
      assert.deepEqual(
        (await turnsOf([byClient, byAdmin, legacy])).map((turn) => [turn.session_id, turn.status]).sort(),
        [[byClient, 'failed'], [byAdmin, 'failed'], [legacy, 'running']].sort(),
        'the termination ends a turn whose replica is gone, in its own transaction',
      );
      // ...and the reaper ends any turn running past its threshold, whatever its session's state.
      await withClient(database.DATABASE_URL, (client) => client.query(`UPDATE turns SET started_at = now() - interval '1 day' WHERE session_id = $1`, [legacy]));

      let turns = await turnsOf(sessions);
      for (const deadline = Date.now() + sweepIntervalMs * 4 + 5_000; Date.now() < deadline && turns.some((turn) => turn.status === 'running'); await pause(200)) {
        turns = await turnsOf(sessions);
      }
      const codes = Object.fromEntries(turns.map((turn) => [turn.session_id, [turn.status, turn.error?.code]]));
      assert.deepEqual(codes, {
        [byClient]: ['failed', 'session_terminated'],
        [byAdmin]: ['failed', 'session_terminated'],
        [byLifetime]: ['failed', 'session_terminated'],
        [legacy]: ['failed', 'broker_lost_turn'],
      }, 'no turn is left running');
      for (const id of sessions) {
        const events = (await app(survivor.url).get(`/v1/sessions/${id}/events`)).json.data as Array<{ type: string }>;
        assert.equal(events.at(-1)?.type, 'turn.failed', `the transcript of ${id} ends with the turn`);
      }
      const lifetime = await app(survivor.url).get(`/v1/sessions/${byLifetime}`);
      assert.deepEqual([lifetime.json.status, lifetime.json.terminationReason], ['terminated', 'max_lifetime']);

      const [metered] = (await withClient(database.DATABASE_URL, (client) =>
        // At the ledgers' precision (numeric(20, 10)), which each turn's cost is booked at.
        client.query<{ cost: string }>(`SELECT coalesce(sum(cost_usd::numeric(20, 10)), 0) AS cost FROM meter_records WHERE tenant_id = $1`, [tenantId]),
      )).rows;
      assert.ok(Number(metered.cost) > 0, 'the completed turn was metered');
      const settled = await ledgers();
      assert.deepEqual(
        settled.map((ledger) => [ledger.user_id === '' ? 'tenant' : 'user', Number(ledger.reserved_usd), Number(ledger.spent_usd)]),
        [['tenant', 0, Number(metered.cost)], ['user', 0, Number(metered.cost)]],
        'no reservation is left; both ledgers hold exactly the metered cost',
      );
    } finally {
      emulator.faults.clear();
    }
  });

  test('a replica dies between the database write and the provider call, or right after the provider answered: another replica leaves nothing running and nothing provisioning', async () => {
    const database = await freshDatabase();
    let tenant: Awaited<ReturnType<typeof setUp>> | undefined;
    for (const crashPoint of ['after-session-bound', 'after-provider-open']) {
      const doomed = await start(database, { SWITCHBOARD_TEST_CRASH_POINT: crashPoint });
      tenant ??= await setUp(doomed);
      const outcome = await tenant.app(doomed.url).post('/v1/sessions', { agent: 'replica-agent' }).then(
        (response) => `answered ${response.status}`,
        () => 'no answer',
      );
      assert.equal(outcome, 'no answer', `${crashPoint}: the replica dies before it answers`);
      assert.equal(await doomed.exited, 86);
    }
    const orphans = await runningAtClaude(tenant!.tenantId);
    assert.equal(orphans.length, 1, 'the second replica died with a Claude session nobody recorded');

    const survivor = await start(database);
    const admin = tenant!.admin(survivor.url);
    let live: SessionView[] = [];
    let ended: SessionView[] = [];
    const withinMs = thresholds.provisioningStuckAfterMs + sweepIntervalMs * 2 + 10_000;
    for (const deadline = Date.now() + withinMs; Date.now() < deadline; await pause(250)) {
      live = (await admin.get('/v1/admin/sessions')).json.data;
      ended = (await admin.get('/v1/admin/sessions?status=terminated')).json.data;
      if (live.length === 0 && ended.length === 2) break;
    }
    assert.deepEqual(live, [], 'nothing is left provisioning');
    assert.deepEqual(ended.map((session) => [session.status, session.terminationReason]), [['terminated', 'error'], ['terminated', 'error']]);
    const [second, first] = ended;
    assert.equal(first.providerSession, null, 'the first crash happened before the provider was called');
    assert.equal(second.providerSession?.id, orphans[0].id, 'the orphan the second crash left was found and recorded');
    assert.deepEqual(await runningAtClaude(tenant!.tenantId), [], 'nothing runs at the emulator');
    assert.notEqual((await claude.beta.sessions.retrieve(orphans[0].id)).archived_at ?? null, null, 'the orphan is archived');
  });
});

interface SessionView {
  status: string;
  terminationReason: string | null;
  providerSession: { id: string } | null;
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}
