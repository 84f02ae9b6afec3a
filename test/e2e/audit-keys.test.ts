import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createPublicKey, randomBytes, verify } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { canonicalJson } from '../../apps/broker/src/audit/canonical-json.js';
import { keyedAuditChainMigration, migrations } from '../../migrations/index.js';
import { spawnBroker } from '../support/broker-process.js';
import { DatabaseAttacker } from '../support/database-attacker.js';
import { dedicatedDatabase } from '../support/dedicated-database.js';
import { HttpClient } from '../support/http-client.js';
import { createTenantWithKeys, startTestBroker, type TestBroker } from '../support/test-broker.js';
import { migrationDataSource } from '../support/superuser.js';

const newSecret = () => randomBytes(32).toString('base64');
const keyIdsOf = async (auditor: HttpClient) =>
  ((await auditor.get('/v1/audit/events?limit=1000')).json.data as Array<{ keyId: string | null }>).map((event) => event.keyId);

/** Audit keys over a broker's life: configured, rotated, missing, generated for development; and the upgrade from legacy chains. */
describe('audit keys', () => {
  const dirs: string[] = [];
  const tempDir = () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'switchboard-audit-keys-'));
    dirs.push(dir);
    return dir;
  };
  after(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

  /** Brokers one after another on one database (the embedded one in `dataDir`, or the suite's PostgreSQL). */
  async function withBroker<T>(env: Record<string, string>, work: (sb: TestBroker) => Promise<T>): Promise<T> {
    const sb = await startTestBroker(env);
    try {
      return await work(sb);
    } finally {
      await sb.close();
    }
  }

  test('rotation: events keep the key that chained them; verify needs every key still in the chain, and says where it stops without one', async (t) => {
    const dataDir = tempDir();
    // On PostgreSQL, a database of its own: on the suite's, the reaper's leader of another test file's broker
    // (another key) may sign this tenant's head first, and the checkpoint asked for below is then that one.
    const ownDatabase = process.env.DATABASE_URL ? await dedicatedDatabase(process.env.DATABASE_URL) : undefined;
    if (ownDatabase) t.after(() => ownDatabase.drop());
    const onDisk: Record<string, string> = ownDatabase ? { DATABASE_URL: ownDatabase.url } : { SWITCHBOARD_DATA_DIR: dataDir };
    const old = `old-1:${newSecret()}`;
    const current = `new-2:${newSecret()}`;
    const tenant = await withBroker({ ...onDisk, SWITCHBOARD_AUDIT_KEYS: old }, async (sb) => {
      const created = await createTenantWithKeys(sb, ['admin', 'auditor']);
      return { ...created, operatorKey: sb.operatorKey, length: (await sb.as(created.keys.auditor.key).get('/v1/audit/verify')).json.checked as number };
    });
    const firstLength = tenant.length;
    await withBroker({ ...onDisk, SWITCHBOARD_ADMIN_KEY: tenant.operatorKey, SWITCHBOARD_AUDIT_KEYS: `${old},${current}`, SWITCHBOARD_AUDIT_KEY_ID: 'new-2' }, async (sb) => {
      assert.equal((await sb.as(tenant.keys.admin.key).post('/v1/api-keys', { role: 'app', name: 'after rotation' })).status, 201);
      const auditor = sb.as(tenant.keys.auditor.key);
      assert.deepEqual(await keyIdsOf(auditor), [...Array<string>(firstLength).fill('old-1'), 'new-2']);
      const verdict = (await auditor.get('/v1/audit/verify')).json;
      assert.deepEqual([verdict.ok, verdict.checked, verdict.uncheckedFromSeq], [true, firstLength + 1, null], JSON.stringify(verdict));
      const checkpoint = (await auditor.post('/v1/audit/checkpoints', {})).json;
      assert.equal(checkpoint.keyId, 'new-2');
      assert.deepEqual((await auditor.get('/v1/audit/checkpoint-keys')).json.keys.map((key: { kid: string }) => key.kid).sort(), ['new-2', 'old-1']);
    });
    await withBroker({ ...onDisk, SWITCHBOARD_ADMIN_KEY: tenant.operatorKey, SWITCHBOARD_AUDIT_KEYS: current }, async (sb) => {
      const verdict = (await sb.as(tenant.keys.auditor.key).get('/v1/audit/verify')).json;
      assert.deepEqual([verdict.ok, verdict.firstBadSeq, verdict.uncheckedFromSeq], [false, null, 1], JSON.stringify(verdict));
      assert.match(verdict.reason, /keyed with "old-1", a key this broker does not hold/);
    });
    await withBroker({ ...onDisk, SWITCHBOARD_ADMIN_KEY: tenant.operatorKey, SWITCHBOARD_AUDIT_KEYS: old }, async (sb) => {
      const verdict = (await sb.as(tenant.keys.auditor.key).get('/v1/audit/verify')).json;
      assert.deepEqual([verdict.ok, verdict.checked, verdict.firstBadSeq, verdict.uncheckedFromSeq], [false, firstLength, null, firstLength + 1], JSON.stringify(verdict));
    });
  });

  test('without configured keys, a development key is generated once in the data dir (not the database) and kept across restarts', async () => {
    const dataDir = tempDir();
    const keyFile = path.join(dataDir, 'audit-keys');
    const tenant = await withBroker({ SWITCHBOARD_DATA_DIR: dataDir }, async (sb) => {
      const created = await createTenantWithKeys(sb, ['auditor']);
      return { ...created, operatorKey: sb.operatorKey };
    });
    assert.equal(statSync(keyFile).mode & 0o777, 0o600, 'readable by its owner only');
    const [keyId] = readFileSync(keyFile, 'utf8').trim().split(':');
    assert.match(keyId, /^dev-[0-9a-f]{12}$/);
    await withBroker({ SWITCHBOARD_DATA_DIR: dataDir, SWITCHBOARD_ADMIN_KEY: tenant.operatorKey }, async (sb) => {
      const auditor = sb.as(tenant.keys.auditor.key);
      assert.deepEqual([...new Set(await keyIdsOf(auditor))], [keyId]);
      assert.equal((await auditor.get('/v1/audit/verify')).json.ok, true);
    });
    if (!process.env.DATABASE_URL) return;
    // Another machine's development key (another data dir) on the same database: its id differs, so verify says what it lacks.
    await withBroker({ SWITCHBOARD_DATA_DIR: tempDir(), SWITCHBOARD_ADMIN_KEY: tenant.operatorKey }, async (sb) => {
      const verdict = (await sb.as(tenant.keys.auditor.key).get('/v1/audit/verify')).json;
      assert.deepEqual([verdict.ok, verdict.firstBadSeq, verdict.uncheckedFromSeq], [false, null, 1]);
    });
  });

  test('the upgrade: legacy chains are anchored by the process that applies the migration, then keyed events follow; a later rewrite of them is caught', async () => {
    // The embedded database whatever the suite uses: this test takes the schema back a version, which a shared database cannot do.
    const embedded = { DATABASE_URL: '', SWITCHBOARD_DATA_DIR: tempDir(), SWITCHBOARD_AUDIT_KEYS: `k1:${newSecret()}` };
    const before = await withBroker(embedded, async (sb) => {
      const tenant = await createTenantWithKeys(sb, ['admin', 'auditor']);
      for (let index = 0; index < 3; index++) await sb.as(tenant.keys.admin.key).post('/v1/api-keys', { role: 'app', name: `k${index}` });
      const attacker = new DatabaseAttacker(sb.broker.database.database);
      // The chain as the previous version left it: the same events, chained with plain SHA-256, no key ids.
      await attacker.rewriteFrom(tenant.tenantId, 1, () => undefined, { markUnkeyed: true });
      await attacker.deleteCheckpoints(tenant.tenantId);
      const auditor = sb.as(tenant.keys.auditor.key);
      const unanchored = (await auditor.get('/v1/audit/verify')).json;
      assert.deepEqual([unanchored.ok, unanchored.legacyAnchored, unanchored.firstBadSeq], [false, false, null]);
      assert.match(unanchored.reason, /no signed checkpoint at seq \d+ vouches for them/);
      assert.equal(await sb.broker.audit.checkpoints.signMovedHeads(), 0, 'the periodic checkpoints never sign an unkeyed head');
      // Back to the version before the keyed chain: every migration from the last down to it.
      const keyedAt = migrations.findIndex((migration) => new migration().name === keyedAuditChainMigration);
      const runner = await migrationDataSource(sb.broker.database);
      try {
        for (let undone = migrations.length; undone > keyedAt; undone--) await runner.undoLastMigration();
      } finally {
        await runner.destroy();
      }
      return { ...tenant, length: unanchored.checked as number, operatorKey: sb.operatorKey };
    });
    await withBroker({ ...embedded, SWITCHBOARD_ADMIN_KEY: before.operatorKey }, async (sb) => {
      const auditor = sb.as(before.keys.auditor.key);
      const checkpoints = (await auditor.get('/v1/audit/checkpoints')).json.data as Array<{ seq: number }>;
      assert.deepEqual(checkpoints.map((checkpoint) => checkpoint.seq), [before.length], 'anchored at the upgrade');
      assert.equal((await sb.as(before.keys.admin.key).post('/v1/api-keys', { role: 'app', name: 'after the upgrade' })).status, 201);
      const verdict = (await auditor.get('/v1/audit/verify')).json;
      // (The reaper's first sweep may have signed the new head too.)
      const stored = (await auditor.get('/v1/audit/checkpoints')).json.data.length as number;
      assert.deepEqual(
        [verdict.ok, verdict.checked, verdict.legacyThroughSeq, verdict.legacyAnchored, verdict.checkpointsMatched],
        [true, before.length + 1, before.length, true, stored],
        JSON.stringify(verdict),
      );
      assert.deepEqual((await keyIdsOf(auditor)).slice(-2), [null, 'k1']);

      await new DatabaseAttacker(sb.broker.database.database).rewriteFrom(before.tenantId, 2, (event) => (event.detail = { forged: true }));
      const rewritten = (await auditor.get('/v1/audit/verify')).json;
      assert.deepEqual([rewritten.ok, rewritten.firstBadSeq], [false, before.length]);
      assert.match(rewritten.reason, /does not match the checkpoint signed at/);
    });
  });

  test("the reaper's leader signs checkpoints of moved heads periodically, each written to the log as a line consumers can check alone", async () => {
    const operatorKey = `sbk_checkpoint_log_${randomBytes(12).toString('hex')}`;
    // Its own database: on the suite's shared one another broker may hold the reaper lease and sign (and log) elsewhere.
    const ownDatabase = process.env.DATABASE_URL ? await dedicatedDatabase(process.env.DATABASE_URL) : undefined;
    const broker = await spawnBroker({
      SWITCHBOARD_ADMIN_KEY: operatorKey,
      SWITCHBOARD_SEED_DEMO: 'off',
      SWITCHBOARD_EMULATORS: 'off',
      SWITCHBOARD_AUDIT_CHECKPOINT_INTERVAL_SECONDS: '1',
      ...(ownDatabase ? { DATABASE_URL: ownDatabase.url } : { SWITCHBOARD_DATA_DIR: tempDir() }),
    });
    try {
      assert.match(broker.output(), /SWITCHBOARD_AUDIT_KEYS is not set: the audit chain is keyed with a DEVELOPMENT key/);
      const operator = new HttpClient(broker.url, { authorization: `Bearer ${operatorKey}` });
      const tenant = (await operator.post('/v1/tenants', { name: `checkpointed-${randomBytes(4).toString('hex')}` })).json;
      const auditor = new HttpClient(broker.url, { authorization: `Bearer ${(await operator.post(`/v1/tenants/${tenant.id}/api-keys`, { role: 'auditor', name: 'soc' })).json.key}` });
      const head = (await auditor.get('/v1/audit/verify')).json.checked as number;

      const deadline = Date.now() + 30_000;
      let logged: { tenant: string; seq: number; hash: string; at: string; keyId: string; signature: string } | undefined;
      while (!logged && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 250));
        logged = broker
          .output()
          .split('\n')
          .filter((line) => line.includes('"auditCheckpoint"') && line.endsWith('}'))
          .map((line) => (JSON.parse(line) as { auditCheckpoint: NonNullable<typeof logged> }).auditCheckpoint)
          .find((checkpoint) => checkpoint.tenant === tenant.id && checkpoint.seq === head);
      }
      assert.ok(logged, 'a checkpoint of the head was logged without anyone asking');
      assert.deepEqual((await auditor.get('/v1/audit/checkpoints')).json.data.at(-1), logged);
      const jwk = ((await auditor.get('/v1/audit/checkpoint-keys')).json.keys as Array<{ kid: string; kty: string; crv: string; x: string }>).find((key) => key.kid === logged.keyId)!;
      const { signature, ...signed } = logged;
      const publicKey = createPublicKey({ key: { kty: jwk.kty, crv: jwk.crv, x: jwk.x }, format: 'jwk' });
      assert.equal(verify(null, Buffer.from(canonicalJson(signed)), publicKey, Buffer.from(signature, 'base64url')), true);
    } finally {
      broker.child.kill('SIGTERM');
      await broker.exited;
      await ownDatabase?.drop();
    }
  });
});
