import { Injectable } from '@nestjs/common';
import { notFound } from '#libs/errors';
import { Database } from '#libs/persistence';
import { currentRequestContext } from '#libs/request-context';
import { currentPrincipal } from '../identity/principal.js';
import { normalizeDecimal } from './decimal.js';
import { PriceBookRepository, type Price, type PriceBook } from './price-book.repository.js';
import type { PriceBookView, PutPricesBody } from './price.schemas.js';

const toView = (book: PriceBook): PriceBookView => ({
  version: book.version,
  createdAt: book.createdAt.toISOString(),
  note: book.note,
  changedBy: book.changedBy,
  currency: 'USD',
  prices: book.prices.map((price) => ({ ...price, unitPrice: normalizeDecimal(price.unitPrice), currency: 'USD' })),
});

/** The price book (API.md §7): readable by every tenant role and the operator, changed by the operator only. */
@Injectable()
export class PriceBookService {
  constructor(private readonly database: Database) {}

  async get(version: number | undefined): Promise<PriceBookView> {
    const book = await this.read((prices) => (version === undefined ? prices.current() : prices.version(version)));
    if (!book) throw notFound('price book version');
    return toView(book);
  }

  /** A new version: the current prices with the body's changes applied. Past meter rows keep theirs. */
  async change(body: PutPricesBody): Promise<PriceBookView> {
    return this.database.inPlatform(async (manager) => {
      const prices = new PriceBookRepository(manager);
      await prices.lockForChange();
      const current = await prices.current();
      const key = (price: Pick<Price, 'provider' | 'unit'>) => `${price.provider}/${price.unit}`;
      const next = new Map(current.prices.map((price) => [key(price), price]));
      for (const removed of body.remove) next.delete(key(removed));
      for (const price of body.prices) next.set(key(price), price);
      const principal = currentPrincipal();
      const author = { kind: 'operator' as const, id: principal.credential.id, requestId: currentRequestContext()?.requestId ?? null };
      await prices.insertVersion(current.version + 1, body.note ?? null, author, [...next.values()]);
      return toView((await prices.version(current.version + 1))!);
    });
  }

  /** The price book is platform data: a tenant caller reads it in its own tenant scope, the operator in platform scope. */
  private read<T>(work: (prices: PriceBookRepository) => Promise<T>): Promise<T> {
    const principal = currentPrincipal();
    return principal.kind === 'tenant'
      ? this.database.inTenant(principal.tenantId, (manager) => work(new PriceBookRepository(manager)))
      : this.database.inPlatform((manager) => work(new PriceBookRepository(manager)));
  }
}
