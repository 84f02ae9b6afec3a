import { DataSource, type DataSourceOptions } from 'typeorm';
import type { AppConfig } from '#libs/config';
import { Database, runMigrations, startEmbeddedDatabase, type EmbeddedDatabase } from '#libs/persistence';
import { migrations } from '#migrations';
import { addMissingListPrices } from '../costs/runtime-list-prices.js';
import { runtimeModules } from '../runtimes/runtime-modules.js';

export interface OpenedDatabase {
  dataSource: DataSource;
  database: Database;
  embedded: EmbeddedDatabase | undefined;
  appliedMigrations: string[];
  /** Price book versions added at this start for runtimes the book had never priced. */
  addedPriceBookVersions: number[];
  close(): Promise<void>;
}

/**
 * The single data-source definition, used by the app and by `npm run migrate`.
 * Both backends go through TypeORM's `postgres` driver over `pg`: the embedded
 * one just points it at the in-process PGlite socket.
 */
export function dataSourceOptions(config: AppConfig, embedded?: EmbeddedDatabase): DataSourceOptions {
  const common = {
    type: 'postgres' as const,
    synchronize: false,
    migrationsRun: false,
    migrations,
    migrationsTableName: 'typeorm_migrations',
    installExtensions: false,
    logging: false as const,
  };
  if (config.database.kind === 'embedded') {
    if (!embedded) throw new Error('the embedded database is not running');
    return {
      ...common,
      host: embedded.host,
      port: embedded.port,
      // PGlite ignores these: it always runs as postgres/postgres (RLS is applied per transaction instead).
      username: 'postgres',
      password: 'postgres',
      database: 'postgres',
      // Exactly one connection: pglite-socket multiplexes every socket onto one
      // PGlite session and interleaves large messages at higher pool sizes.
      poolSize: 1,
      extra: { ssl: false, connectionTimeoutMillis: 10_000 },
    };
  }
  return { ...common, url: config.database.url, poolSize: config.database.poolSize, extra: { connectionTimeoutMillis: config.database.checkoutTimeoutMs } };
}

/**
 * Starts the embedded database if configured, connects, applies pending
 * migrations, then prices the registered runtimes the price book has never
 * priced (their modules' list prices).
 */
export async function openDatabase(config: AppConfig): Promise<OpenedDatabase> {
  const embedded =
    config.database.kind === 'embedded'
      ? await startEmbeddedDatabase({ dataDir: config.database.dataDir, port: config.database.port })
      : undefined;
  const dataSource = new DataSource(dataSourceOptions(config, embedded));
  try {
    await dataSource.initialize();
    const appliedMigrations = await runMigrations(dataSource, {
      lockUrl: config.database.kind === 'postgres' ? config.database.url : undefined,
    });
    const database = new Database(dataSource, { keepPlans: config.database.kind === 'postgres' });
    const addedPriceBookVersions = await addMissingListPrices(database, runtimeModules);
    return {
      dataSource,
      database,
      embedded,
      appliedMigrations,
      addedPriceBookVersions,
      async close() {
        await dataSource.destroy();
        await embedded?.stop();
      },
    };
  } catch (error) {
    if (dataSource.isInitialized) await dataSource.destroy().catch(() => undefined);
    await embedded?.stop().catch(() => undefined);
    throw error;
  }
}
