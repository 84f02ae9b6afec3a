import { ClaudeApiError } from './api-errors.js';

/** An opaque `page` token: the id of the item the page starts after (or ends before). */
type Cursor = { after: string } | { before: string };

const encode = (cursor: Cursor) => `page_${Buffer.from(JSON.stringify(cursor)).toString('base64url')}`;

function decode(page: string): Cursor {
  try {
    const cursor: unknown = JSON.parse(Buffer.from(page.replace(/^page_/, ''), 'base64url').toString('utf8'));
    if (cursor && typeof cursor === 'object' && ('after' in cursor || 'before' in cursor)) return cursor as Cursor;
  } catch {
    // fall through to the error below
  }
  throw new ClaudeApiError(400, `page: invalid cursor ${JSON.stringify(page)}`);
}

export interface Page<T> {
  data: T[];
  next_page: string | null;
  prev_page: string | null;
}

/**
 * One page of `items` (already filtered and ordered). Cursors name an item
 * rather than an offset, so a page stays put while new items are appended.
 */
export function paginate<T extends { id: string }>(items: readonly T[], limit: number, page?: string): Page<T> {
  const cursor = page === undefined ? { after: undefined } : decode(page);
  const anchorId = 'after' in cursor ? cursor.after : cursor.before;
  const anchor = anchorId === undefined ? -1 : items.findIndex((item) => item.id === anchorId);
  if (anchorId !== undefined && anchor === -1) throw new ClaudeApiError(400, 'page: the cursor no longer points at an item');
  const start = 'before' in cursor ? Math.max(0, anchor - limit) : anchor + 1;
  const end = 'before' in cursor ? anchor : start + limit;
  const data = items.slice(start, end);
  const first = data[0];
  const last = data.at(-1);
  return {
    data,
    next_page: last && end < items.length ? encode({ after: last.id }) : null,
    prev_page: first && start > 0 ? encode({ before: first.id }) : null,
  };
}
