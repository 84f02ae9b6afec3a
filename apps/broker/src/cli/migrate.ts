import { ConfigError, loadConfig } from '#libs/config';
import { prepareAuditIntegrity } from '../audit/audit-integrity.js';
import { openDatabase } from '../database/open-database.js';

/** `npm run migrate`: applies pending migrations to the configured database and exits. */
try {
  const config = loadConfig(process.env);
  const opened = await openDatabase(config);
  // Anchors the legacy audit chains when this run applied the keyed-chain migration.
  await prepareAuditIntegrity(config, opened);
  console.log(
    opened.appliedMigrations.length > 0 ? `applied: ${opened.appliedMigrations.join(', ')}` : 'the database is up to date',
  );
  await opened.close();
} catch (error) {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exitCode = 1;
}
