import pg from 'pg';
import type { DataSource } from 'typeorm';

/** Arbitrary but fixed: every broker replica contends for the same key. */
const migrationLockKey = 0x5b0a_0001;

/**
 * Runs pending migrations and returns the names it applied.
 *
 * With `lockUrl` (PostgreSQL), it first takes a session advisory lock on a
 * dedicated connection, so replicas that boot together apply migrations once,
 * one after another, whatever the pool size. The embedded database needs no
 * lock: its data folder admits one process.
 */
export async function runMigrations(dataSource: DataSource, options: { lockUrl?: string } = {}): Promise<string[]> {
  const apply = async () => (await dataSource.runMigrations({ transaction: 'each' })).map((migration) => migration.name);
  if (!options.lockUrl) return apply();
  const lockClient = new pg.Client({ connectionString: options.lockUrl });
  await lockClient.connect();
  try {
    await lockClient.query('SELECT pg_advisory_lock($1)', [migrationLockKey]);
    return await apply();
  } finally {
    // Closing the session releases the advisory lock too.
    await lockClient.end();
  }
}

/** Whether any known migration is still unapplied (used by `/readyz`). */
export async function hasPendingMigrations(dataSource: DataSource): Promise<boolean> {
  return dataSource.showMigrations();
}
