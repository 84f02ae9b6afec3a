import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { migrationsTable, pendingMigrations, runMigrations, type Database } from '#libs/persistence';
import { migrations } from '#migrations';
import { openRepositoryDatabase } from '../support/repository-database.js';

/** TypeORM runs migrations and nothing else: a broker whose database is up to date never loads it (issue 17, idle memory). */
let repository: Awaited<ReturnType<typeof openRepositoryDatabase>>;
let database: Database;
before(async () => {
  repository = await openRepositoryDatabase();
  database = repository.database;
});
after(() => repository.close());

const neverLoaded = () => Promise.reject(new Error('TypeORM was loaded'));
// Options TypeORM could not even connect with: nothing may reach them on an up-to-date database.
const unusable = { type: 'postgres' as const, host: '203.0.113.1', port: 1, migrations };

test('an up-to-date database: nothing pending, and TypeORM is not loaded', async () => {
  assert.deepEqual(await pendingMigrations(database, migrations), []);
  assert.deepEqual(await runMigrations(database, unusable, {}, neverLoaded), []);
});

test('a migration not recorded as applied is pending, under the name TypeORM records, and TypeORM is loaded to apply it', async () => {
  const last = migrations[migrations.length - 1];
  const recorded = new last().name;
  // A name the table does not hold stands for a migration this database has not seen.
  const unseen = Object.defineProperty(class {}, 'name', { value: 'Unseen1999999999999' }) as unknown as (typeof migrations)[number];
  assert.deepEqual(await pendingMigrations(database, [...migrations, unseen]), ['Unseen1999999999999']);
  await assert.rejects(runMigrations(database, { ...unusable, migrations: [...migrations, unseen] }, {}, neverLoaded), /TypeORM was loaded/);
  const [row] = await database.query<{ name: string }>(`SELECT name FROM ${migrationsTable} WHERE name = $1`, [recorded]);
  assert.equal(row?.name, recorded, 'the runner reads the table TypeORM writes');
});
