import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '#libs/config';
import { pendingMigrations } from '#libs/persistence';
import { migrations } from '#migrations';
import { openDatabase } from '../../apps/broker/src/database/open-database.js';

/**
 * `npm run build` (which the tests run after) leaves the cluster template a
 * new embedded database starts from: PGlite's initdb output with every
 * migration applied, so a first boot neither runs initdb nor loads TypeORM
 * to migrate (issue 17 item 7: ready ≤ 4 s on a fresh embedded database).
 */
test('a new embedded database starts from the build template with every migration already applied, and serves the schema', async () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'switchboard-template-'));
  const opened = await openDatabase(loadConfig({ SWITCHBOARD_DATA_DIR: dataDir }));
  try {
    assert.deepEqual(opened.appliedMigrations, [], 'the start applied migrations itself: the template lacks them');
    assert.deepEqual(await pendingMigrations(opened.database, migrations), []);
    // The schema is there and usable, row-level security included.
    const [policies] = await opened.database.query<{ count: string }>(`SELECT count(*)::text AS count FROM pg_policies WHERE policyname = 'tenant_isolation'`);
    assert.ok(Number(policies.count) > 5, `tenant isolation policies in the template: ${policies.count}`);
    const [sessions] = await opened.database.query<{ count: string }>(`SELECT count(*)::text AS count FROM sessions`);
    assert.equal(sessions.count, '0');
  } finally {
    await opened.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
