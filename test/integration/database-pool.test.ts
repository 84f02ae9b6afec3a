import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '#libs/config';
import { openDatabase } from '../../apps/broker/src/database/open-database.js';

/**
 * The serving pool keeps an idle connection five minutes (pg's own default,
 * 10 s, closed the pool in every lull, and the next burst paid new
 * connections and their PREPAREs: issue 17's paced p99), or as configured.
 */
test('the PostgreSQL pool keeps idle connections as configured', { skip: !process.env.DATABASE_URL && 'needs PostgreSQL (DATABASE_URL)' }, async () => {
  for (const [setting, expected] of [[undefined, 300_000], ['0', 0], ['45000', 45_000]] as const) {
    const opened = await openDatabase(loadConfig({ DATABASE_URL: process.env.DATABASE_URL!, ...(setting === undefined ? {} : { DATABASE_POOL_IDLE_TIMEOUT_MS: setting }) }));
    try {
      assert.equal((opened.database.pool as unknown as { options: { idleTimeoutMillis: number } }).options.idleTimeoutMillis, expected);
    } finally {
      await opened.close();
    }
  }
});
