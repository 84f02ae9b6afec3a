import { test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { toAppError } from '../../apps/broker/src/http/problem-details.js';

/**
 * A replica whose pool has no free connection within its wait answers 503
 * `database_busy` with Retry-After, not 500 `internal`: the error pg-pool
 * really raises, from a real pool on the suite's PostgreSQL.
 */
test('a pool checkout that times out is 503 database_busy, retryable', { skip: !process.env.DATABASE_URL && 'needs PostgreSQL (DATABASE_URL)' }, async () => {
  // The one connection is opened with time to spare (a busy CI machine once took longer than 50 ms to open it);
  // only the checkout that waits for it has 50 ms. pg-pool reads the timeout at each checkout.
  const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 1, connectionTimeoutMillis: 10_000 });
  const held = await pool.connect();
  pool.options.connectionTimeoutMillis = 50;
  try {
    const refused = await pool.connect().then(
      (client) => {
        client.release();
        return undefined;
      },
      (error: unknown) => error,
    );
    const problem = toAppError(refused);
    assert.equal(problem.code, 'database_busy');
    assert.equal(problem.status, 503);
    assert.equal(problem.retryAfterSeconds, 1);
  } finally {
    held.release();
    await pool.end();
  }
});

test('any other unexpected error is still 500 internal', () => {
  assert.equal(toAppError(new Error('timeout exceeded')).code, 'internal');
});
