import type { RuntimeModule } from '#libs/provider-kit';
import type { Database } from '#libs/persistence';
import { PriceBookRepository, type Price } from './price-book.repository.js';
import { priceUnits, type PriceUnit } from './price-units.js';

/** What the seeding needs of a runtime module. */
export type PricedRuntime = Pick<RuntimeModule, 'id' | 'listPrices'>;

/**
 * Gives each registered runtime that the price book has never priced its
 * module's list prices, as a new version (the current prices plus its list;
 * note `runtime <id> list prices`, by `system`): a new runtime is priced
 * without a migration of its own. A runtime priced in any version is left
 * alone, so the runtimes seeded by the Metering migration (whose modules
 * declare the same list) and a runtime the operator removed on purpose never
 * get a version here. Runs after the migrations, under the price book's
 * change lock, so replicas booting together add each list once.
 * Returns the versions it added.
 */
export async function addMissingListPrices(database: Database, runtimes: readonly PricedRuntime[]): Promise<number[]> {
  const unknownUnits = runtimes.flatMap((runtime) =>
    runtime.listPrices.filter((price) => !(priceUnits as readonly string[]).includes(price.unit)).map((price) => `${runtime.id}: ${price.unit}`),
  );
  // Before any write: the database would refuse the unit anyway, less helpfully.
  if (unknownUnits.length > 0) throw new Error(`runtime list prices in units the price book does not know (price-units.ts): ${unknownUnits.join(', ')}`);
  return database.inPlatform(async (manager) => {
    const book = new PriceBookRepository(manager);
    await book.lockForChange();
    const priced = await book.pricedRuntimes();
    const added: number[] = [];
    for (const runtime of runtimes) {
      if (priced.has(runtime.id) || runtime.listPrices.length === 0) continue;
      const current = await book.current();
      const listed: Price[] = runtime.listPrices.map((price) => ({ ...price, provider: runtime.id, unit: price.unit as PriceUnit }));
      await book.insertVersion(current.version + 1, `runtime ${runtime.id} list prices`, { kind: 'system', id: null, requestId: null }, [...current.prices, ...listed]);
      added.push(current.version + 1);
    }
    return added;
  });
}
