import { DataSource } from 'typeorm';
import type { Database } from '#libs/persistence';
import type { OpenedDatabase } from '../../apps/broker/src/database/open-database.js';

/** One statement in {@link asSuperuser}'s transaction: its rows. */
export type SuperuserQuery = <T = Record<string, unknown>>(sql: string, parameters?: readonly unknown[]) => Promise<T[]>;

/**
 * A transaction as the connection's login role (the schema owner, a
 * superuser, which RLS does not restrict): for tests that play someone with
 * database access, or reach under the API to set rows up.
 */
export async function asSuperuser<T>(database: Database, work: (query: SuperuserQuery) => Promise<T>): Promise<T> {
  const client = await database.pool.connect();
  try {
    await client.query('BEGIN');
    const result = await work(async <R>(sql: string, parameters: readonly unknown[] = []) => (await client.query(sql, [...parameters])).rows as R[]);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

/** The migration runner's own data source on a broker's database, initialized: destroy it after use. */
export async function migrationDataSource(opened: OpenedDatabase): Promise<DataSource> {
  const dataSource = new DataSource(opened.migrationOptions);
  await dataSource.initialize();
  return dataSource;
}
