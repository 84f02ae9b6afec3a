import pg from 'pg';
import type { DataSourceOptions } from 'typeorm';
import type { AppConfig } from '#libs/config';
import { Database, migrationsTable, runMigrations, startEmbeddedDatabase, type EmbeddedDatabase, type MigrationClass } from '#libs/persistence';
import { migrations } from '#migrations';
import { addMissingListPrices } from '../costs/runtime-list-prices.js';
import { runtimeModules } from '../runtimes/runtime-modules.js';
import { logger } from '../logging/logger.js';

export interface OpenedDatabase {
  database: Database;
  /** The migration runner's data source options (TypeORM), for `npm run migrate`-like work on this database. */
  migrationOptions: DataSourceOptions;
  embedded: EmbeddedDatabase | undefined;
  appliedMigrations: string[];
  /** Price book versions added at this start for runtimes the book had never priced. */
  addedPriceBookVersions: number[];
  close(): Promise<void>;
}

/**
 * The migration runner's data source (TypeORM's `postgres` driver over `pg`),
 * used by the app when a migration is pending and by `npm run migrate`: the
 * serving pool's connection settings, which TypeORM hands to `pg` as they are
 * (`extra`).
 */
export function dataSourceOptions(config: AppConfig, embedded?: EmbeddedDatabase): DataSourceOptions & { migrations: MigrationClass[] } {
  return migrationSource(poolOptions(config, embedded));
}

/** The migration runner's data source for an embedded database served at `server` (the build's cluster template). */
export function embeddedDataSourceOptions(server: { host: string; port: number }): DataSourceOptions & { migrations: MigrationClass[]; extra: pg.PoolConfig } {
  return migrationSource(embeddedPoolOptions(server));
}

function migrationSource(extra: pg.PoolConfig): DataSourceOptions & { migrations: MigrationClass[]; extra: pg.PoolConfig } {
  return {
    type: 'postgres',
    synchronize: false,
    migrationsRun: false,
    migrations,
    migrationsTableName: migrationsTable,
    installExtensions: false,
    logging: false,
    extra,
  };
}

/** How the serving pool connects: the one definition of the connection settings. */
function poolOptions(config: AppConfig, embedded?: EmbeddedDatabase): pg.PoolConfig {
  if (config.database.kind === 'embedded') {
    if (!embedded) throw new Error('the embedded database is not running');
    return embeddedPoolOptions(embedded);
  }
  return {
    connectionString: config.database.url,
    max: config.database.poolSize,
    connectionTimeoutMillis: config.database.checkoutTimeoutMs,
    // pg-pool reads 0 as "never close an idle connection".
    idleTimeoutMillis: config.database.idleTimeoutMs,
  };
}

function embeddedPoolOptions(embedded: { host: string; port: number }): pg.PoolConfig {
  return {
    host: embedded.host,
    port: embedded.port,
    // PGlite ignores these: it always runs as postgres/postgres (RLS is applied per transaction instead).
    user: 'postgres',
    password: 'postgres',
    database: 'postgres',
    // Exactly one connection: pglite-socket multiplexes every socket onto one
    // PGlite session and interleaves large messages at higher pool sizes.
    max: 1,
    ssl: false,
    connectionTimeoutMillis: 10_000,
  };
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
  let pool: pg.Pool | undefined;
  try {
    pool = new pg.Pool(poolOptions(config, embedded));
    // An idle connection the server closed is reported here; without a listener it would end the process.
    pool.on('error', (error) => logger.warn({ err: error }, 'an idle database connection failed; the pool replaces it'));
    const database = new Database(pool, { keepPlans: config.database.kind === 'postgres' });
    await firstContact(database);
    const migrationOptions = dataSourceOptions(config, embedded);
    const appliedMigrations = await runMigrations(database, migrationOptions, {
      lockUrl: config.database.kind === 'postgres' ? config.database.url : undefined,
    });
    const addedPriceBookVersions = await addMissingListPrices(database, runtimeModules);
    const opened = pool;
    return {
      database,
      migrationOptions,
      embedded,
      appliedMigrations,
      addedPriceBookVersions,
      async close() {
        await opened.end();
        await embedded?.stop();
      },
    };
  } catch (error) {
    await pool?.end().catch(() => undefined);
    await embedded?.stop().catch(() => undefined);
    throw error;
  }
}

/** How long a start keeps trying to reach its database before it gives up. */
const firstContactMs = 30_000;

/**
 * The first statement at start, retried while the connection itself fails
 * (refused, reset, or not opened within the pool's timeout), never when the
 * database answered with an error (a wrong password, a missing database:
 * those are reported at once). Two reasons: a database that starts after
 * the broker (compose, a node restart), and a start whose event loop is
 * busy loading the provider SDKs, which can outlast a short connect
 * timeout (`DATABASE_POOL_CHECKOUT_TIMEOUT_MS` also bounds opening a
 * connection) although the database answered at once.
 */
async function firstContact(database: Database): Promise<void> {
  const deadline = Date.now() + firstContactMs;
  for (let attempt = 1; ; attempt++) {
    try {
      await database.query('SELECT 1');
      return;
    } catch (error) {
      if (answeredByDatabase(error) || Date.now() >= deadline) throw error;
      logger.warn({ err: error, attempt }, 'the database could not be reached at start; trying again');
      await new Promise((resolve) => setTimeout(resolve, Math.min(2_000, 250 * attempt)));
    }
  }
}

/** An error the database itself sent: it carries a SQLSTATE (five characters, e.g. 28P01). */
const answeredByDatabase = (error: unknown) => {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code);
};
