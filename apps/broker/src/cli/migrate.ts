import { ConfigError } from '#libs/config';
import { prepareAuditIntegrity } from '../audit/audit-integrity.js';
import { openDatabase } from '../database/open-database.js';
import { loadBrokerConfig } from '../runtimes/broker-config.js';

/** `npm run migrate`: applies pending migrations (and prices new runtimes) to the configured database and exits. */
try {
  const config = loadBrokerConfig(process.env);
  const opened = await openDatabase(config);
  // Anchors the legacy audit chains when this run applied the keyed-chain migration.
  await prepareAuditIntegrity(config, opened);
  console.log(
    opened.appliedMigrations.length > 0 ? `applied: ${opened.appliedMigrations.join(', ')}` : 'the database is up to date',
  );
  if (opened.addedPriceBookVersions.length > 0) console.log(`priced new runtimes from their list prices: price book version ${opened.addedPriceBookVersions.join(', ')}`);
  await opened.close();
} catch (error) {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exitCode = 1;
}
