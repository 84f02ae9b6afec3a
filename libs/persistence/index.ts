export { startEmbeddedDatabase, inMemoryDataDir } from './embedded-database.js';
export { writeClusterTemplate } from './cluster-template.js';
export type { EmbeddedDatabase } from './embedded-database.js';
export { Database, applicationRole } from './database.js';
export { runMigrations, hasPendingMigrations, pendingMigrations, migrationsTable } from './migration-runner.js';
export type { MigrationClass } from './migration-runner.js';
export { DataDirLock } from './data-dir-lock.js';
export { hotStatement, type HotStatement } from './hot-statement.js';
export type { Transaction } from './transaction.js';
