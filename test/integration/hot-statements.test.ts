import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { hotStatement } from '#libs/persistence';
import { createTenantWithKeys, startTestBroker, type TestBroker } from '../support/test-broker.js';

const probe = hotStatement('test_probe', `SELECT current_setting('app.tenant_id') AS tenant, $1::int + 1 AS next`);
const probeWrite = hotStatement('test_probe_write', `UPDATE api_keys SET revoked_at = revoked_at WHERE role = $1 RETURNING tenant_id`);

/**
 * Hot statements (the turn path's per-turn SQL): named prepared statements
 * on PostgreSQL, ordinary queries on the embedded database; the same rows
 * either way, inside the caller's tenant transaction.
 */
describe('hot statements', () => {
  let sb: TestBroker;
  let tenantId: string;

  before(async () => {
    sb = await startTestBroker();
    ({ tenantId } = await createTenantWithKeys(sb, ['app']));
  });
  after(() => sb.close());

  test('run in the tenant transaction and return rows, for reads and for writes with RETURNING', async () => {
    const database = sb.broker.database.database;
    const [read] = await database.inTenant(tenantId, (tx) => tx.hot<{ tenant: string; next: number }>(probe, [41]));
    assert.deepEqual(read, { tenant: tenantId, next: 42 });
    // An UPDATE, which TypeORM would answer as [rows, count]: rows here too.
    const written = await database.inTenant(tenantId, (tx) => tx.hot<{ tenant_id: string }>(probeWrite, ['app']));
    assert.deepEqual(written, [{ tenant_id: tenantId }]);
  });

  test('are prepared (and kept) on PostgreSQL only', async () => {
    const database = sb.broker.database.database;
    const prepared = await database.inTenant(tenantId, async (tx) => {
      await tx.hot(probe, [1]);
      const rows = await tx.rows<{ name: string }>(`SELECT name FROM pg_prepared_statements WHERE name = $1`, [probe.name]);
      return rows.length > 0;
    });
    assert.equal(prepared, sb.broker.database.embedded === undefined, 'named on PostgreSQL, unnamed on the embedded database');
  });

  test('sent with a pipelined opening, they run from a plan prepared once per connection on PostgreSQL (inlined on the embedded database)', async () => {
    const database = sb.broker.database.database;
    const [read, held] = await database.inTenant(
      tenantId,
      async (tx) => {
        // The first statement of a pipelined transaction goes out with its opening, in one simple query.
        const [row] = await tx.hot<{ tenant: string; next: number }>(probe, [6]);
        const plans = await tx.rows<{ statement: string }>(`SELECT statement FROM pg_prepared_statements WHERE name = $1`, [`${probe.name}_sql`]);
        return [row, plans] as const;
      },
      { pipelined: true },
    );
    assert.deepEqual(read, { tenant: tenantId, next: 7 });
    if (sb.broker.database.embedded === undefined) {
      assert.equal(held.length, 1, 'the plan stays on the connection');
      assert.match(held[0].statement, /^PREPARE test_probe|^PREPARE switchboard_test_probe_sql/i);
    } else {
      assert.equal(held.length, 0, 'the embedded database keeps no plans (its connections share one session)');
    }
  });

  test('one name stands for one text', () => {
    assert.throws(() => hotStatement('test_probe', 'SELECT 2'), /declared twice with different text/);
    assert.doesNotThrow(() => hotStatement('test_probe', probe.text));
  });
});
