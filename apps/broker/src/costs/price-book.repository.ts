import type { Transaction } from '#libs/persistence';
import type { ProviderId } from '#libs/runtime-spec';
import type { PriceUnit } from './price-units.js';

export interface Price {
  provider: ProviderId;
  unit: PriceUnit;
  /** USD per unit, PostgreSQL numeric text. */
  unitPrice: string;
  source: string;
  /** YYYY-MM-DD */
  effectiveDate: string;
}

/** Who made a price book version: the operator credential and its request, or `system` (the published list). */
export interface PriceBookAuthor {
  kind: 'operator' | 'system';
  id: string | null;
  requestId: string | null;
}

export interface PriceBook {
  version: number;
  createdAt: Date;
  note: string | null;
  changedBy: PriceBookAuthor;
  prices: Price[];
}

interface PriceBookRow {
  version: number;
  created_at: Date;
  note: string | null;
  changed_by_kind: 'operator' | 'system';
  changed_by_id: string | null;
  request_id: string | null;
  prices: Array<{ provider: ProviderId; unit: PriceUnit; unit_price: string; source: string; effective_date: string }>;
}

/** `unit_price::text` keeps every digit: a numeric inside json_agg would become a JSON number. */
const selectBook = `
  SELECT v.version, v.created_at, v.note, v.changed_by_kind, v.changed_by_id, v.request_id,
    coalesce((SELECT json_agg(json_build_object('provider', p.provider, 'unit', p.unit, 'unit_price', p.unit_price::text,
        'source', p.source, 'effective_date', to_char(p.effective_date, 'YYYY-MM-DD')) ORDER BY p.provider, p.unit)
      FROM prices p WHERE p.version = v.version), '[]') AS prices
  FROM price_book_versions v`;

const toPriceBook = (row: PriceBookRow): PriceBook => ({
  version: row.version,
  createdAt: row.created_at,
  note: row.note,
  changedBy: { kind: row.changed_by_kind, id: row.changed_by_id, requestId: row.request_id },
  prices: row.prices.map((price) => ({
    provider: price.provider,
    unit: price.unit,
    unitPrice: price.unit_price,
    source: price.source,
    effectiveDate: price.effective_date,
  })),
});

/**
 * The versioned, append-only price book (platform-wide, no tenant). The
 * version in force is the newest; older versions stay readable because
 * meter rows point at them.
 */
export class PriceBookRepository {
  constructor(private readonly tx: Transaction) {}

  async current(): Promise<PriceBook> {
    const [row] = await this.tx.rows<PriceBookRow>(`${selectBook} ORDER BY v.version DESC LIMIT 1`);
    return toPriceBook(row);
  }

  async version(version: number): Promise<PriceBook | undefined> {
    const rows = await this.tx.rows<PriceBookRow>(`${selectBook} WHERE v.version = $1`, [version]);
    return rows[0] && toPriceBook(rows[0]);
  }

  /** Every runtime some version of the book has priced (one the operator later removed stays priced: removing was a choice). */
  async pricedRuntimes(): Promise<Set<string>> {
    const rows = await this.tx.rows<{ provider: string }>(`SELECT DISTINCT provider FROM prices`);
    return new Set(rows.map((row) => row.provider));
  }

  /** Serializes price book changes for the rest of the transaction (two operators at once get consecutive versions). */
  async lockForChange(): Promise<void> {
    await this.tx.rows(`SELECT pg_advisory_xact_lock(hashtext('switchboard.price_book'))`);
  }

  async insertVersion(version: number, note: string | null, author: PriceBookAuthor, prices: Price[]): Promise<void> {
    await this.tx.rows(
      `WITH version AS (INSERT INTO price_book_versions (version, note, changed_by_kind, changed_by_id, request_id) VALUES ($1, $2, $4, $5, $6))
       INSERT INTO prices (version, provider, unit, unit_price, source, effective_date)
       SELECT $1, p.provider, p.unit, p.unit_price::numeric, p.source, p.effective_date::date
       FROM jsonb_to_recordset($3::jsonb) AS p(provider text, unit text, unit_price text, source text, effective_date text)`,
      [
        version,
        note,
        JSON.stringify(prices.map((price) => ({ provider: price.provider, unit: price.unit, unit_price: price.unitPrice, source: price.source, effective_date: price.effectiveDate }))),
        author.kind,
        author.id,
        author.requestId,
      ],
    );
  }
}
