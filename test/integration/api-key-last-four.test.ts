import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiKeyLastFour1763701000000 } from '../../migrations/1763701000000-ApiKeyLastFour.js';
import { createTenantWithKeys, startTestBroker, type TestBroker } from '../support/test-broker.js';
import { migrationDataSource } from '../support/superuser.js';

/**
 * The migration on a key stored the old way (twelve characters of the secret
 * in key_prefix, no last four), run on the real database inside a
 * transaction that is rolled back, so nothing else sees it.
 */
describe('migration ApiKeyLastFour', () => {
  let sb: TestBroker;
  before(async () => {
    sb = await startTestBroker();
  });
  after(() => sb.close());

  test('cuts the stored secret characters back to sbk_ and leaves the last four unknown', async () => {
    const { keys } = await createTenantWithKeys(sb, ['admin']);
    const migrationRunner = await migrationDataSource(sb.broker.database);
    const runner = migrationRunner.createQueryRunner();
    await runner.connect();
    try {
      await runner.startTransaction();
      await runner.query(`ALTER TABLE api_keys DROP COLUMN key_last4`);
      await runner.query(`UPDATE api_keys SET key_prefix = $2 WHERE id = $1`, [keys.admin.id, keys.admin.key.slice(0, 12)]);
      await new ApiKeyLastFour1763701000000().up(runner);
      const rows = (await runner.query(`SELECT key_prefix, key_last4 FROM api_keys WHERE id = $1`, [keys.admin.id])) as unknown[];
      assert.deepEqual(rows, [{ key_prefix: 'sbk_', key_last4: null }]);
    } finally {
      await runner.rollbackTransaction();
      await runner.release();
      await migrationRunner.destroy();
    }
    const listed = await sb.as(keys.admin.key).get('/v1/api-keys');
    assert.equal(listed.json.data[0].keyLast4, keys.admin.key.slice(-4), 'the rollback left the real row as it was');
  });
});
