import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { addMissingListPrices, type PricedRuntime } from '../../apps/broker/src/costs/runtime-list-prices.js';
import { PriceBookRepository, type PriceBook } from '../../apps/broker/src/costs/price-book.repository.js';
import { openDatabase, type OpenedDatabase } from '../../apps/broker/src/database/open-database.js';
import { loadBrokerConfig } from '../../apps/broker/src/runtimes/broker-config.js';
import { runtimeModules } from '../../apps/broker/src/runtimes/runtime-modules.js';
import { dedicatedDatabase } from '../support/dedicated-database.js';

/**
 * A runtime gets its list prices without a migration. Its own database (a
 * PostgreSQL one of its own, or an embedded one): the book is platform-wide,
 * and the other test files must not see the made-up runtime priced here.
 */
let opened: OpenedDatabase;
let cleanup: () => Promise<void>;

before(async () => {
  if (process.env.DATABASE_URL) {
    const own = await dedicatedDatabase(process.env.DATABASE_URL);
    opened = await openDatabase(loadBrokerConfig({ DATABASE_URL: own.url, DATABASE_POOL_SIZE: '2' }));
    cleanup = own.drop;
  } else {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'switchboard-prices-'));
    opened = await openDatabase(loadBrokerConfig({ SWITCHBOARD_DATA_DIR: dataDir }));
    cleanup = async () => rmSync(dataDir, { recursive: true, force: true });
  }
});
after(async () => {
  await opened?.close();
  await cleanup?.();
});

const readBook = (version?: number): Promise<PriceBook> =>
  opened.database.inPlatform(async (manager) => {
    const book = new PriceBookRepository(manager);
    return version === undefined ? book.current() : (await book.version(version))!;
  });
const isFifth = (price: { provider: string }) => price.provider === 'fifth';
const fifth = (listPrices: PricedRuntime['listPrices']) => ({ id: 'fifth', listPrices }) as unknown as PricedRuntime;

test('on a fresh database each runtime is priced exactly at its declared list (the migrations seeded it), and no version is added', async () => {
  assert.deepEqual(opened.addedPriceBookVersions, []);
  // The current book, not version 1: a later migration may add units to a runtime's list (and its module declares them too).
  const seeded = (await readBook()).prices;
  for (const module of runtimeModules) {
    const declared = module.listPrices.map((price) => ({ provider: module.id, ...price })).sort((a, b) => a.unit.localeCompare(b.unit));
    assert.deepEqual(
      seeded.filter((price) => price.provider === module.id).map((price) => ({ provider: price.provider, unit: price.unit, unitPrice: price.unitPrice, source: price.source, effectiveDate: price.effectiveDate })),
      declared,
      module.id,
    );
  }
});

test('a runtime the book never priced gets a version with its list added; once priced, it is left alone', async () => {
  const before = await readBook();
  const list = [{ unit: 'vcpu-hour', unitPrice: '0.07', source: 'https://fifth.example/pricing (per vCPU-hour)', effectiveDate: '2026-01-05' }];
  const added = await addMissingListPrices(opened.database, [...runtimeModules, fifth(list)]);
  assert.deepEqual(added, [before.version + 1]);
  const after = await readBook();
  assert.equal(after.version, before.version + 1);
  assert.equal(after.note, 'runtime fifth list prices');
  assert.deepEqual(after.changedBy, { kind: 'system', id: null, requestId: null });
  assert.deepEqual(after.prices.filter((price) => !isFifth(price)), before.prices, 'every other price carries over');
  assert.deepEqual(after.prices.filter(isFifth), [{ provider: 'fifth', ...list[0] }]);
  assert.deepEqual(await addMissingListPrices(opened.database, [...runtimeModules, fifth(list)]), [], 'a second start adds nothing');
  assert.equal((await readBook()).version, after.version);
});

test('a list price in a unit the book does not know stops the start before anything is written', async () => {
  const before = await readBook();
  await assert.rejects(
    addMissingListPrices(opened.database, [fifth([{ unit: 'gpu-hour', unitPrice: '1', source: 'x', effectiveDate: '2026-01-05' }])]),
    /units the price book does not know.*fifth: gpu-hour/,
  );
  assert.equal((await readBook()).version, before.version);
});
