import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { migrations } from '../../migrations/index.js';
import { DatabaseAttacker } from '../support/database-attacker.js';
import type { HttpClient } from '../support/http-client.js';
import { createTenantWithKeys, startTestBroker, uniqueName, type TestBroker } from '../support/test-broker.js';
import { migrationDataSource } from '../support/superuser.js';

type Verdict = { ok: boolean; checked: number; firstBadSeq: number | null; reason: string | null };

/**
 * Erasure of an end user (API.md §10), on whichever database the suite runs:
 * afterwards no route and no table shows the user id or their content in
 * clear, the audit chain still verifies (and still catches tampering), cost
 * totals are unchanged and the user's cost lines group under one pseudonym.
 */
describe('erasure of an end user', () => {
  let sb: TestBroker;
  let attacker: DatabaseAttacker;

  before(async () => {
    sb = await startTestBroker();
    attacker = new DatabaseAttacker(sb.broker.database.database);
  });
  after(() => sb.close());

  /** A tenant where `user` has ended and live sessions, turns with a secret phrase, session metadata, a limit override and a refusal quoting their id. */
  async function tenantWithUser(broker: TestBroker = sb) {
    const tenant = await createTenantWithKeys(broker, ['app', 'admin', 'auditor', 'finance']);
    const admin = broker.as(tenant.keys.admin.key);
    const agent = await admin.post('/v1/agents', { name: uniqueName('agent'), defaultProvider: 'claude', targets: { claude: broker.broker.runtimes.demoTargets().claude } });
    assert.equal(agent.status, 201, agent.text);
    const user = `erase-me-${randomBytes(4).toString('hex')}@example.com`;
    const secret = `secret-phrase-${randomBytes(4).toString('hex')}`;
    const keptPhrase = `kept-phrase-${randomBytes(4).toString('hex')}`;
    const app = broker.as(tenant.keys.app.key, { 'x-end-user': user });
    const other = broker.as(tenant.keys.app.key, { 'x-end-user': 'keeper' });
    assert.equal((await admin.put(`/v1/limits/users/${encodeURIComponent(user)}`, { maxActiveSessionsPerUser: 2 })).status, 200);
    const sessions: string[] = [];
    for (const [index, client] of [app, app, other].entries()) {
      // The other user's content is their own, and must survive.
      const phrase = client === app ? secret : keptPhrase;
      const session = await client.post('/v1/sessions', { agent: agent.json.id, metadata: { ticket: `${phrase}-ticket` } }, { 'idempotency-key': `${phrase}-${index}` });
      assert.equal(session.status, 201, session.text);
      const turn = await client.post(`/v1/sessions/${session.json.id}/turns`, { input: `${phrase}: where is my refund?` });
      assert.equal(turn.status, 200, turn.text);
      sessions.push(session.json.id);
    }
    // A refusal whose audit detail quotes the user id ("user … has 2 of 2 active sessions").
    assert.equal((await app.post('/v1/sessions', { agent: agent.json.id })).status, 429);
    assert.equal((await app.delete(`/v1/sessions/${sessions[0]}`)).status, 200);
    return { tenant, admin, app, other, user, secret, keptPhrase, sessions, auditor: broker.as(tenant.keys.auditor.key), finance: broker.as(tenant.keys.finance.key) };
  }

  const verify = async (auditor: HttpClient): Promise<Verdict> => (await auditor.get('/v1/audit/verify')).json;

  async function erase(admin: HttpClient, user: string) {
    const erased = await admin.post(`/v1/users/${encodeURIComponent(user)}/erase`);
    assert.equal(erased.status, 202, erased.text);
    assert.equal(erased.json.user, user);
    assert.ok(Date.parse(erased.json.erasedAt) > 0);
  }

  /** Rows of any table that show `text` (the whole row as text, JSON columns included). */
  async function tablesShowing(text: string): Promise<string[]> {
    const tables = await sb.broker.database.database.query<{ table_name: string }>(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'`,
    );
    const found: string[] = [];
    for (const { table_name: table } of tables) {
      const [row] = await sb.broker.database.database.query<{ n: string }>(`SELECT count(*) AS n FROM "${table}" t WHERE strpos(t::text, $1) > 0`, [text]);
      if (Number(row.n) > 0) found.push(`${table} (${row.n})`);
    }
    return found.sort();
  }

  test('afterwards no route and no table shows the user or their content; the chain verifies; costs are unchanged under one pseudonym', async () => {
    const { tenant, admin, app, other, user, secret, keptPhrase, sessions, auditor, finance } = await tenantWithUser();
    const costsBefore = (await finance.get('/v1/costs/summary?groupBy=user')).json;
    const userCostBefore = costsBefore.groups.find((group: { key: string }) => group.key === user);
    assert.ok(userCostBefore && Number(userCostBefore.costUsd) > 0, JSON.stringify(costsBefore));
    assert.deepEqual(await tablesShowing(user).then((found) => found.length > 0), true);
    const before = await verify(auditor);
    assert.equal(before.ok, true, JSON.stringify(before));

    await erase(admin, user);

    // Their live session was ended; the other user's is untouched.
    const live = (await admin.get('/v1/admin/sessions')).json.data.map((session: { id: string }) => session.id);
    assert.deepEqual(live, [sessions[2]]);
    // No table holds the id or the content in clear.
    assert.deepEqual(await tablesShowing(user), []);
    assert.deepEqual(await tablesShowing(secret), []);
    assert.deepEqual(await tablesShowing(keptPhrase), ['idempotency_keys (1)', 'session_events (2)', 'sessions (1)', 'turns (1)']);
    // Nor does any route the tenant's roles read.
    const reads = [
      auditor.get('/v1/audit/events?limit=1000'),
      auditor.get('/v1/audit/export?format=jsonl'),
      auditor.get('/v1/audit/export?format=ocsf'),
      auditor.get('/v1/audit/bindings'),
      finance.get('/v1/costs/summary?groupBy=user'),
      finance.get('/v1/costs/export?format=focus-csv'),
      finance.get('/v1/costs/export?format=csv'),
      admin.get('/v1/admin/sessions?status=terminated'),
      sb.operator.get(`/v1/platform/audit/events?tenant=${tenant.tenantId}&limit=1000`),
    ];
    for (const response of await Promise.all(reads)) {
      assert.ok(!response.text.includes(user), response.text.slice(0, 300));
      assert.ok(!response.text.includes(secret), response.text.slice(0, 300));
    }
    const bindings = (await auditor.get('/v1/audit/bindings')).json.data as Array<{ user: string; session: string }>;
    const pseudonym = bindings.find((binding) => binding.session === sessions[0])!.user;
    assert.match(pseudonym, /^erased:[0-9a-f]{32}$/);
    assert.equal(bindings.find((binding) => binding.session === sessions[2])!.user, 'keeper');
    // The sessions the user had: content gone, metadata gone.
    assert.equal((await tablesShowing(pseudonym)).some((table) => table.startsWith('session_events')), false);

    // The chain still verifies: one more event (user.erased), nothing else changed in it.
    const afterErasure = await verify(auditor);
    assert.deepEqual(afterErasure, { ...before, checked: afterErasure.checked, reason: null }, JSON.stringify(afterErasure));
    assert.ok(afterErasure.checked > before.checked);
    const events = (await auditor.get('/v1/audit/events?limit=1000')).json.data as Array<{ type: string; user: string | null; detail: Record<string, unknown>; erasure?: unknown }>;
    const erasedEvent = events.find((event) => event.type === 'user.erased')!;
    assert.equal(erasedEvent.user, pseudonym);
    assert.ok(events.some((event) => event.type === 'limit.denied' && event.user === pseudonym && String(event.detail.reason).includes(pseudonym)));
    assert.ok(events.filter((event) => event.user === pseudonym && event.type !== 'user.erased').every((event) => event.erasure));

    // Cost totals unchanged; the user's lines group under the pseudonym.
    const costsAfter = (await finance.get('/v1/costs/summary?groupBy=user')).json;
    assert.equal(costsAfter.total, costsBefore.total);
    assert.equal(costsAfter.groups.find((group: { key: string }) => group.key === pseudonym).costUsd, userCostBefore.costUsd);

    // Their limit override went with them.
    assert.deepEqual((await admin.get(`/v1/limits/users/${encodeURIComponent(user)}`)).json.overrides, []);
    // Nobody can act as the pseudonym; the other user goes on as before.
    const asPseudonym = await sb.as(tenant.keys.app.key, { 'x-end-user': pseudonym }).get(`/v1/sessions/${sessions[0]}`);
    assert.equal(asPseudonym.status, 400, asPseudonym.text);
    assert.equal((await other.get(`/v1/sessions/${sessions[2]}`)).status, 200);
    // The erased id is a new user if it comes back: none of the old sessions are theirs.
    assert.equal((await app.get(`/v1/sessions/${sessions[1]}`)).status, 404);
  });

  test('the pseudonym is one per tenant and user: a user erased twice keeps one cost group; another tenant gives another pseudonym', async () => {
    const first = await tenantWithUser();
    await erase(first.admin, first.user);
    const session = await first.app.post('/v1/sessions', { agent: (await first.admin.get('/v1/agents')).json.data[0].id });
    assert.equal(session.status, 201, session.text);
    assert.equal((await first.app.post(`/v1/sessions/${session.json.id}/turns`, { input: 'back again' })).status, 200);
    const before = (await first.finance.get('/v1/costs/summary?groupBy=user')).json;
    await erase(first.admin, first.user);
    const after = (await first.finance.get('/v1/costs/summary?groupBy=user')).json;
    assert.equal(after.total, before.total);
    const erasedGroups = after.groups.filter((group: { key: string }) => group.key.startsWith('erased:'));
    assert.equal(erasedGroups.length, 1, JSON.stringify(after.groups));
    const expected = before.groups.filter((group: { key: string }) => group.key === first.user || group.key.startsWith('erased:'))
      .reduce((sum: number, group: { costUsd: string }) => sum + Number(group.costUsd), 0);
    assert.ok(Math.abs(Number(erasedGroups[0].costUsd) - expected) < 1e-9, `${erasedGroups[0].costUsd} vs ${expected}`);
    assert.equal((await verify(first.auditor)).ok, true);

    const second = await createTenantWithKeys(sb, ['admin', 'auditor']);
    await erase(sb.as(second.keys.admin.key), first.user);
    const secondErased = (await sb.as(second.keys.auditor.key).get('/v1/audit/events?type=user.erased')).json.data[0];
    assert.notEqual(secondErased.user, erasedGroups[0].key);
  });

  describe('tampering after an erasure is still detected, at its position', () => {
    async function erasedChain() {
      const setup = await tenantWithUser();
      await erase(setup.admin, setup.user);
      assert.equal((await verify(setup.auditor)).ok, true);
      const events = (await setup.auditor.get('/v1/audit/events?limit=1000')).json.data as Array<{ seq: number; erasure?: unknown; type: string }>;
      const erased = events.find((event) => event.erasure && event.type === 'session.bound')!;
      const unerased = events.find((event) => !event.erasure && event.seq > 1)!;
      return { ...setup, erased: erased.seq, unerased: unerased.seq };
    }

    test('an erased event whose other fields are changed', async () => {
      const { tenant, auditor, erased } = await erasedChain();
      await attacker.edit(`UPDATE audit_events SET detail = detail || '{"agentName":"forged"}' WHERE tenant_id = $1 AND seq = $2`, [tenant.tenantId, erased]);
      const verdict = await verify(auditor);
      assert.deepEqual([verdict.ok, verdict.firstBadSeq], [false, erased], JSON.stringify(verdict));
      assert.match(verdict.reason!, /erasure seal/);
    });

    test("an erased event's seal or pseudonym changed", async () => {
      const { tenant, auditor, erased } = await erasedChain();
      await attacker.edit(`UPDATE audit_events SET user_id = 'erased:0000' WHERE tenant_id = $1 AND seq = $2`, [tenant.tenantId, erased]);
      assert.deepEqual(pick(await verify(auditor)), { ok: false, firstBadSeq: erased });
      const again = await erasedChain();
      await attacker.edit(`UPDATE audit_events SET erasure = jsonb_set(erasure, '{seal}', '"00"') WHERE tenant_id = $1 AND seq = $2`, [again.tenant.tenantId, again.erased]);
      assert.deepEqual(pick(await verify(again.auditor)), { ok: false, firstBadSeq: again.erased });
    });

    test('an unerased event changed, or an erasure forged onto it without the key', async () => {
      const { tenant, auditor, unerased } = await erasedChain();
      await attacker.edit(`UPDATE audit_events SET type = 'session.accessed' WHERE tenant_id = $1 AND seq = $2`, [tenant.tenantId, unerased]);
      const verdict = await verify(auditor);
      assert.deepEqual(pick(verdict), { ok: false, firstBadSeq: unerased }, JSON.stringify(verdict));
      assert.match(verdict.reason!, /does not match its hash/);
      const again = await erasedChain();
      await attacker.edit(`UPDATE audit_events SET erasure = (SELECT erasure FROM audit_events WHERE tenant_id = $1 AND seq = $3) WHERE tenant_id = $1 AND seq = $2`, [
        again.tenant.tenantId, again.unerased, again.erased,
      ]);
      assert.deepEqual(pick(await verify(again.auditor)), { ok: false, firstBadSeq: again.unerased });
    });

    test('an erased event deleted', async () => {
      const { tenant, auditor, erased } = await erasedChain();
      await attacker.edit(`DELETE FROM audit_events WHERE tenant_id = $1 AND seq = $2`, [tenant.tenantId, erased]);
      const verdict = await verify(auditor);
      assert.deepEqual(pick(verdict), { ok: false, firstBadSeq: erased }, JSON.stringify(verdict));
      assert.match(verdict.reason!, /missing/);
    });
  });

  test('the database lets only the erasure through: an audit row keeps its hash, a meter row changes only to a pseudonym', async () => {
    const { tenant } = await tenantWithUser();
    const owner = sb.broker.database.database;
    await assert.rejects(owner.query(`UPDATE audit_events SET hash = hash WHERE tenant_id = $1 AND seq = 1`, [tenant.tenantId]), /append-only/);
    await assert.rejects(
      owner.query(`UPDATE audit_events SET hash = 'x', erasure = '{"seal":"x"}' WHERE tenant_id = $1 AND seq = 1`, [tenant.tenantId]),
      /append-only/,
    );
    await assert.rejects(owner.query(`UPDATE meter_records SET user_id = 'someone-else' WHERE tenant_id = $1`, [tenant.tenantId]), /append-only/);
    await assert.rejects(owner.query(`UPDATE meter_charges SET cost = 0, user_id = 'erased:x' WHERE tenant_id = $1`, [tenant.tenantId]), /append-only/);
    await assert.rejects(owner.query(`DELETE FROM meter_records WHERE tenant_id = $1`, [tenant.tenantId]), /append-only/);
  });

  test('the upgrade: a chain written before the erasure migration verifies after it, and after an erasure, against a checkpoint kept from before', async () => {
    // The embedded database whatever the suite uses: this test takes the schema back a version, which a shared database cannot do.
    const dataDir = mkdtempSync(path.join(tmpdir(), 'switchboard-erasure-upgrade-'));
    const env = { DATABASE_URL: '', SWITCHBOARD_DATA_DIR: dataDir, SWITCHBOARD_AUDIT_KEYS: `k1:${randomBytes(32).toString('base64')}` };
    try {
      const old = await startTestBroker(env);
      let setup: Awaited<ReturnType<typeof tenantWithUser>>;
      let kept: unknown;
      try {
        setup = await tenantWithUser(old);
        const checkpoint = await setup.auditor.post('/v1/audit/checkpoints');
        assert.equal(checkpoint.status, 201, checkpoint.text);
        kept = checkpoint.json;
        // Back to the schema of the version before: the events stay exactly as it wrote them.
        assert.equal(new migrations[migrations.length - 1]().name, 'Erasure1763702200000');
        const runner = await migrationDataSource(old.broker.database);
        await runner.undoLastMigration().finally(() => runner.destroy());
      } finally {
        await old.close().catch(() => undefined);
      }
      const upgraded = await startTestBroker({ ...env, SWITCHBOARD_ADMIN_KEY: old.operatorKey });
      try {
        const auditor = upgraded.as(setup.tenant.keys.auditor.key);
        const heldTo = async () => (await auditor.post('/v1/audit/verify', { checkpoints: [kept] })).json as Verdict & { checkpointsMatched: number };
        const migrated = await heldTo();
        assert.deepEqual([migrated.ok, migrated.firstBadSeq], [true, null], JSON.stringify(migrated));
        const erased = await upgraded.as(setup.tenant.keys.admin.key).post(`/v1/users/${encodeURIComponent(setup.user)}/erase`);
        assert.equal(erased.status, 202, erased.text);
        const afterErasure = await heldTo();
        assert.deepEqual([afterErasure.ok, afterErasure.checked > migrated.checked], [true, true], JSON.stringify(afterErasure));
        assert.ok(afterErasure.checkpointsMatched >= 1);
      } finally {
        await upgraded.close();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  test('only a tenant admin may erase', async () => {
    const { tenant, user } = await tenantWithUser();
    for (const role of ['app', 'auditor', 'finance'] as const) {
      const refused = await sb.as(tenant.keys[role].key, role === 'app' ? { 'x-end-user': user } : {}).post(`/v1/users/${encodeURIComponent(user)}/erase`);
      assert.equal(refused.status, 403, `${role}: ${refused.text}`);
    }
  });
});

const pick = (verdict: Verdict) => ({ ok: verdict.ok, firstBadSeq: verdict.firstBadSeq });
