import pg from 'pg';
import { Database, runMigrations, writeClusterTemplate } from '#libs/persistence';
import { embeddedDataSourceOptions } from '../database/open-database.js';

/**
 * The build's last step: the initdb output, with every migration applied,
 * that new embedded databases start from (libs/persistence/cluster-template.ts).
 */
const began = performance.now();
let applied: string[] = [];
const file = await writeClusterTemplate({
  prepare: async (server) => {
    const options = embeddedDataSourceOptions(server);
    const pool = new pg.Pool(options.extra);
    try {
      applied = await runMigrations(new Database(pool, { keepPlans: false }), options);
    } finally {
      await pool.end();
    }
  },
});
console.log(`embedded database template: ${file}, ${applied.length} migrations applied (${Math.round(performance.now() - began)} ms)`);
