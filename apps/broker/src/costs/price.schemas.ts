import { z } from 'zod';
import { providerIds } from '#libs/runtime-spec';
import { priceUnits, unitPriceScale } from './price-units.js';

/** Money and prices are decimal strings in USD (API.md), never JSON numbers. */
export const decimalString = z.string().regex(/^\d{1,12}(\.\d+)?$/, 'a non-negative decimal string such as "0.0895"');

const unitPrice = decimalString.refine((value) => (value.split('.')[1] ?? '').length <= unitPriceScale, `at most ${unitPriceScale} decimals`);

const isoDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'a date, YYYY-MM-DD')
  .refine((value) => !Number.isNaN(Date.parse(`${value}T00:00:00Z`)) && new Date(`${value}T00:00:00Z`).toISOString().startsWith(value), 'not a real date');

export const priceView = z.object({
  provider: z.enum(providerIds),
  unit: z.enum(priceUnits),
  unitPrice: decimalString,
  currency: z.literal('USD'),
  source: z.string(),
  effectiveDate: z.string(),
}).meta({ id: 'Price' });
export type PriceView = z.infer<typeof priceView>;

export const priceBookView = z.object({
  version: z.number().int(),
  createdAt: z.string(),
  note: z.string().nullable(),
  /** Who made this version: the operator credential and the request (`system`: the published list). */
  changedBy: z.object({ kind: z.enum(['operator', 'system']), id: z.string().nullable(), requestId: z.string().nullable() }),
  currency: z.literal('USD'),
  prices: z.array(priceView),
}).meta({ id: 'PriceBook' });
export type PriceBookView = z.infer<typeof priceBookView>;

export const getPricesQuery = z.strictObject({
  version: z.coerce.number().int().min(1).optional(),
});

const priceKey = { provider: z.enum(providerIds), unit: z.enum(priceUnits) };

/**
 * A change to the price book: prices sent replace the current ones of the
 * same provider and unit (or add them), `remove` drops some, everything
 * else carries over into the new version.
 */
export const putPricesBody = z
  .strictObject({
    note: z.string().max(500).optional(),
    prices: z
      .array(
        z.strictObject({
          ...priceKey,
          unitPrice,
          source: z.string().min(1).max(500),
          effectiveDate: isoDate.refine((value) => value <= new Date().toISOString().slice(0, 10), 'must not be in the future'),
        }),
      )
      .max(100)
      .default([]),
    remove: z.array(z.strictObject(priceKey)).max(100).default([]),
  })
  .refine((body) => body.prices.length + body.remove.length > 0, { message: 'change at least one price', path: ['prices'] })
  .refine((body) => new Set([...body.prices, ...body.remove].map((entry) => `${entry.provider}/${entry.unit}`)).size === body.prices.length + body.remove.length, {
    message: 'each provider and unit at most once',
    path: ['prices'],
  })
  .meta({ id: 'PutPricesRequest' });
export type PutPricesBody = z.infer<typeof putPricesBody>;
