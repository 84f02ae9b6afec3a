import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Database, Transaction } from '#libs/persistence';
import { openRepositoryDatabase } from '../support/repository-database.js';

const insertLedger = `INSERT INTO budget_ledgers (tenant_id, user_id, month, spent_usd) VALUES ($1, $2, $3, $4)`;
const ledgerCount = `SELECT count(*)::int AS count FROM budget_ledgers WHERE user_id = $1`;

/**
 * Issue 17: a transaction's opening goes with its first statement, deferred
 * writes with the next one, and `final` with the COMMIT (one simple query
 * each, values inlined). Against the real database: the tenant's scope and
 * role hold for every piece, values are typed as bound parameters would be,
 * and a failure anywhere rolls everything back without leaving the pooled
 * connection in an aborted transaction.
 */
describe('repositories: pipelined transactions', () => {
  let repo: Awaited<ReturnType<typeof openRepositoryDatabase>>;
  let database: Database;

  before(async () => {
    repo = await openRepositoryDatabase();
    database = repo.database;
  });
  after(() => repo.close());

  /** A transaction whose opening goes with its first statement (as the turn path's). */
  const pipelined = <T>(tenantId: string, work: (tx: Transaction) => Promise<T>) => database.inTenant(tenantId, work, { pipelined: true });
  const count = (tenantId: string, userId: string) => database.inTenant(tenantId, async (tx) => (await tx.one<{ count: number }>(ledgerCount, [userId]))!.count);

  test('the first statement runs in the tenant scope as the application role, its values typed as parameters', async () => {
    const tenantId = await repo.newTenant();
    const row = await pipelined(tenantId, (tx) =>
      tx.one<{ tenant: string; role: string; total: string }>(
        // $1 and $2 are numeric by their other use; as untyped literals coalesce would be text, and text + numeric fails.
        `SELECT current_setting('app.tenant_id') AS tenant, current_user AS role, (coalesce($1, $2) + 1.5)::text AS total FROM (SELECT $1::numeric AS a, $2::numeric AS b) t`,
        [null, 2],
      ),
    );
    assert.deepEqual(row, { tenant: tenantId, role: 'switchboard_app', total: '3.5' });
  });

  test('deferred writes and the final statement commit together; a quote in a value is only a value', async () => {
    const tenantId = await repo.newTenant();
    const user = "o'brien\\";
    const rows = await pipelined(tenantId, async (tx) => {
      tx.defer(insertLedger, [tenantId, user, '2026-01-01', '1.25']);
      tx.defer(insertLedger, [tenantId, user, '2026-02-01', '2']);
      return tx.final<{ spent: string }>(`SELECT sum(spent_usd)::text AS spent FROM budget_ledgers WHERE user_id = $1`, [user]);
    });
    assert.equal(Number(rows[0].spent), 3.25, 'the final statement saw the deferred writes');
    assert.equal(await count(tenantId, user), 2, 'committed');
  });

  test('a failing final statement rolls the deferred writes back, and the connection serves the next transaction', async () => {
    const tenantId = await repo.newTenant();
    await assert.rejects(
      pipelined(tenantId, async (tx) => {
        tx.defer(insertLedger, [tenantId, 'carol', '2026-01-01', '1']);
        return tx.final(`SELECT 1 / $1::int`, [0]);
      }),
      /division by zero/,
    );
    assert.equal(await count(tenantId, 'carol'), 0);
  });

  test('a deferred write another tenant owns is refused at COMMIT (row-level security holds), and nothing of the transaction stays', async () => {
    const tenantId = await repo.newTenant();
    const other = await repo.newTenant();
    await assert.rejects(
      pipelined(tenantId, async (tx) => {
        await tx.rows(insertLedger, [tenantId, 'dave', '2026-01-01', '1']);
        tx.defer(insertLedger, [other, 'dave', '2026-01-01', '1']);
      }),
      /row-level security/,
    );
    assert.equal(await count(tenantId, 'dave'), 0, 'the statement before it is rolled back too');
    assert.equal(await count(other, 'dave'), 0);
  });

  test('two statements asked for at once go out in order, the first with the opening', async () => {
    const tenantId = await repo.newTenant();
    const [first, second] = await pipelined(tenantId, (tx) =>
      Promise.all([tx.one<{ role: string }>(`SELECT current_user AS role WHERE $1::int = 1`, [1]), tx.one<{ role: string }>(`SELECT current_user AS role`)]),
    );
    assert.deepEqual([first?.role, second?.role], ['switchboard_app', 'switchboard_app'], 'neither ran outside the transaction');
  });

  test('a deferred statement answers once it went, with its own rows, whatever went with it', async () => {
    const tenantId = await repo.newTenant();
    const inserted = `${insertLedger} RETURNING user_id`;
    const { first, second, total } = await pipelined(tenantId, async (tx) => {
      const first = tx.deferRows<{ user_id: string }>(inserted, [tenantId, 'fred', '2026-01-01', '1']);
      tx.defer(insertLedger, [tenantId, 'fred', '2026-02-01', '2']);
      const second = tx.deferRows<{ user_id: string }>(inserted, [tenantId, 'fred', '2026-03-01', '3']);
      const [row] = await tx.final<{ spent: string }>(`SELECT sum(spent_usd)::text AS spent FROM budget_ledgers WHERE user_id = $1`, ['fred']);
      return { first: await first, second: await second, total: Number(row.spent) };
    });
    assert.deepEqual([first, second, total], [[{ user_id: 'fred' }], [{ user_id: 'fred' }], 6]);
    // Its failure fails the statement it went with, and it answers that failure too (never an unhandled rejection).
    let deferred: Promise<unknown> | undefined;
    await assert.rejects(
      pipelined(tenantId, async (tx) => {
        deferred = tx.deferRows(`SELECT 1 / $1::int`, [0]);
        return tx.final(`SELECT 1`, []);
      }),
      /division by zero/,
    );
    await assert.rejects(deferred!, /division by zero/);
    // Never sent (the work failed first): it answers the rollback.
    await assert.rejects(
      pipelined(tenantId, async (tx) => {
        deferred = tx.deferRows(`SELECT 1`, []);
        throw new Error('work failed');
      }),
      /work failed/,
    );
    await assert.rejects(deferred!, /rolled back before the statement was sent/);
  });

  test('a transaction that runs nothing sends nothing, and one that only defers still commits', async () => {
    const tenantId = await repo.newTenant();
    assert.equal(await pipelined(tenantId, async () => 'nothing'), 'nothing');
    await pipelined(tenantId, async (tx) => tx.defer(insertLedger, [tenantId, 'erin', '2026-01-01', '1']));
    assert.equal(await count(tenantId, 'erin'), 1);
  });
});
