import { timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { invalidRequest } from '#libs/errors';
import type { AuditKey, AuditKeyring } from '../audit/audit-keyring.js';

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
 * The keyrings cursors are signed with: the audit keys (configured, so
 * shared by every replica; see audit-key-source.ts), each of which derives
 * a cursor key of its own. New cursors use the newest ring's current key;
 * any key of any ring bound in this process is accepted, so a rotated audit
 * key keeps old cursors valid while it stays listed (and two brokers in one
 * test process accept each other's).
 */
const keyrings: AuditKeyring[] = [];

/** Signs and verifies cursors with this keyring's keys from now on (at startup, with the audit keys). */
export function bindCursorKeys(keyring: AuditKeyring): void {
  if (!keyrings.includes(keyring)) keyrings.push(keyring);
}

const signingKey = (): AuditKey => {
  const keyring = keyrings.at(-1);
  if (!keyring) throw new Error('no cursor key is bound (bindCursorKeys at startup)');
  return keyring.current;
};

/**
 * An opaque cursor for a keyset position (an id, a seq): the position and
 * its HMAC, so the broker only ever resumes from a position it issued.
 */
export function encodeCursor(position: string): string {
  return `${Buffer.from(position).toString('base64url')}.${signingKey().cursorMac(position)}`;
}

/**
 * Cursors are the id of the last item returned: ids sort by creation time,
 * so "after this id" is a stable keyset position. Opaque to clients.
 */
export function pageFromRows<T extends { id: string }>(rows: T[], limit: number): Page<T> {
  const data = rows.slice(0, limit);
  return { data, nextCursor: rows.length > limit ? encodeCursor(data[data.length - 1].id) : null };
}

/**
 * The position of a cursor this broker issued; undefined cursor: the start.
 * Anything else (garbage, a forged or altered cursor) is a 400: resuming
 * from a made-up position would answer a plausible but wrong page.
 */
export function decodeCursor(cursor: string | undefined): string | null {
  if (cursor === undefined || cursor === '') return null;
  const refused = () => invalidRequest('cursor is not one this broker issued: start from the first page', [{ path: 'query.cursor', message: 'not a cursor this broker issued' }]);
  const match = /^([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]{43})$/.exec(cursor);
  if (!match) throw refused();
  const position = Buffer.from(match[1], 'base64url').toString('utf8');
  const presented = Buffer.from(match[2], 'base64url');
  const genuine = keyrings.some((keyring) => keyring.all().some((key) => timingSafeEqual(Buffer.from(key.cursorMac(position), 'base64url'), presented)));
  if (!genuine) throw refused();
  return position;
}
