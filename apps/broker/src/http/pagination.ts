import { z } from 'zod';

/** `limit` and `cursor` query parameters shared by every list route. */
export const pageQuery = {
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(200).optional(),
};

/** A page of results: `{"data":[...],"nextCursor":null}`. */
export const pageOf = <T extends z.ZodType>(item: T) => z.object({ data: z.array(item), nextCursor: z.string().nullable() });

export interface Page<T> {
  data: T[];
  nextCursor: string | null;
}

/**
 * Cursors are the id of the last item returned: ids sort by creation time,
 * so "after this id" is a stable keyset position. Opaque to clients.
 */
export function pageFromRows<T extends { id: string }>(rows: T[], limit: number): Page<T> {
  const data = rows.slice(0, limit);
  return { data, nextCursor: rows.length > limit ? Buffer.from(data[data.length - 1].id).toString('base64url') : null };
}

export function decodeCursor(cursor: string | undefined): string | null {
  if (!cursor) return null;
  return Buffer.from(cursor, 'base64url').toString('utf8');
}
