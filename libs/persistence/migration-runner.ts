import pg from 'pg';
import type { DataSourceOptions } from 'typeorm';
import type { Database } from './database.js';

/** Arbitrary but fixed: every broker replica contends for the same key. */
const migrationLockKey = 0x5b0a_0001;

/** TypeORM's own bookkeeping table (the name the migrations have always been recorded in). */
export const migrationsTable = 'typeorm_migrations';

/** A migration class as TypeORM runs it. */
export type MigrationClass = (new () => { name?: string }) & { name: string };

/** The name TypeORM records a migration under: the instance's `name`, else the class name. */
const recordedName = (migration: MigrationClass) => new migration().name ?? migration.name;

/**
 * The migrations not yet recorded as applied, read with one statement (a
 * database TypeORM never ran on has no table: everything is pending).
 */
export async function pendingMigrations(database: Database, migrations: readonly MigrationClass[]): Promise<string[]> {
  let applied: Set<string>;
  try {
    applied = new Set((await database.query<{ name: string }>(`SELECT name FROM ${migrationsTable}`)).map((row) => row.name));
  } catch (error) {
    // 42P01: undefined_table.
    if ((error as { code?: unknown }).code !== '42P01') throw error;
    applied = new Set();
  }
  return migrations.map(recordedName).filter((name) => !applied.has(name));
}

/**
 * Runs pending migrations and returns the names it applied.
 *
 * TypeORM is the migration runner, and only that: it is loaded when a
 * migration is pending, never by a broker that finds its database up to date
 * (the usual restart, and every replica after `npm run migrate`); its module
 * graph is about 3 MB of source the serving process would otherwise keep.
 *
 * With `lockUrl` (PostgreSQL), it first takes a session advisory lock on a
 * dedicated connection, so replicas that boot together apply migrations once,
 * one after another, whatever the pool size. The embedded database needs no
 * lock: its data folder admits one process.
 */
export async function runMigrations(
  database: Database,
  options: DataSourceOptions & { migrations: MigrationClass[] },
  lock: { lockUrl?: string } = {},
  /** How TypeORM is loaded (a test passes one that tells whether it was). */
  loadTypeOrm: () => Promise<Pick<typeof import('typeorm'), 'DataSource'>> = () => import('typeorm'),
): Promise<string[]> {
  if ((await pendingMigrations(database, options.migrations)).length === 0) return [];
  const apply = async () => {
    const { DataSource } = await loadTypeOrm();
    const dataSource = new DataSource(options);
    await dataSource.initialize();
    try {
      return (await dataSource.runMigrations({ transaction: 'each' })).map((migration) => migration.name);
    } finally {
      await dataSource.destroy();
    }
  };
  if (!lock.lockUrl) return apply();
  const lockClient = new pg.Client({ connectionString: lock.lockUrl });
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
export async function hasPendingMigrations(database: Database, migrations: readonly MigrationClass[]): Promise<boolean> {
  return (await pendingMigrations(database, migrations)).length > 0;
}
