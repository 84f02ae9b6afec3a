import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import pg from 'pg';
import { AdvisoryLockLeadership, SingleProcessLeadership } from './reaper-leadership.js';

test('on the embedded database the one process always leads', async () => {
  const leadership = new SingleProcessLeadership();
  assert.equal(await leadership.check(), true);
  await leadership.release();
  assert.equal(await leadership.check(), true);
});

const url = process.env.DATABASE_URL;

/** Real PostgreSQL: each test uses a key of its own, so runs in parallel never contend. */
describe('advisory-lock leadership', { skip: !url && 'needs PostgreSQL (DATABASE_URL)' }, () => {
  const key = () => 0x5b0a_1000_0000 + randomInt(1_000_000);

  test('exactly one of several candidates leads; the lead passes on when it is released', async () => {
    const lockKey = key();
    const candidates = [0, 1, 2].map(() => new AdvisoryLockLeadership(url!, lockKey));
    try {
      const first = await Promise.all(candidates.map((candidate) => candidate.check()));
      assert.equal(first.filter(Boolean).length, 1);
      assert.deepEqual(await Promise.all(candidates.map((candidate) => candidate.check())), first, 'the lead holds across checks');
      const leader = first.indexOf(true);
      await candidates[leader].release();
      const rest = candidates.filter((_, index) => index !== leader);
      const second = await Promise.all(rest.map((candidate) => candidate.check()));
      assert.equal(second.filter(Boolean).length, 1, 'a follower takes over at its next check');
    } finally {
      await Promise.all(candidates.map((candidate) => candidate.release()));
    }
  });

  test("a leader whose connection dies loses the lead at its next check, and a follower takes it", async () => {
    const lockKey = key();
    const [a, b] = [new AdvisoryLockLeadership(url!, lockKey), new AdvisoryLockLeadership(url!, lockKey)];
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      assert.equal(await a.check(), true);
      assert.equal(await b.check(), false);
      const { rows } = await admin.query<{ pid: number }>(
        `SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 1 AND ((classid::bigint << 32) | objid::bigint) = $1`,
        [lockKey],
      );
      assert.equal(rows.length, 1);
      await admin.query('SELECT pg_terminate_backend($1)', [rows[0].pid]);
      // pg_terminate_backend only signals: wait (bounded) until the backend is gone and its lock with it.
      for (let attempt = 0; attempt < 100; attempt++) {
        const alive = await admin.query('SELECT 1 FROM pg_stat_activity WHERE pid = $1', [rows[0].pid]);
        if (alive.rowCount === 0) break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      assert.equal(await b.check(), true, 'the lock died with the connection');
      assert.equal(await a.check(), false, 'the old leader notices');
      assert.equal(await a.check(), false, 'and stays a follower while the other leads');
    } finally {
      await admin.end();
      await a.release();
      await b.release();
    }
  });
});
