/** A cursor page as both halves of the project endpoint return lists. */
export interface CursorPage<T> {
  object: 'list';
  data: T[];
  first_id: string | null;
  last_id: string | null;
  has_more: boolean;
}

/**
 * Pages `oldestFirst` in `order`, starting after the `after` id (or ending
 * before the `before` id). An unknown cursor gives an empty page, as a
 * cursor past the end would.
 */
export function cursorPage<T>(
  oldestFirst: readonly T[],
  idOf: (item: T) => string,
  query: { limit: number; order: 'asc' | 'desc'; after?: string; before?: string },
): CursorPage<T> {
  const ordered = query.order === 'asc' ? [...oldestFirst] : [...oldestFirst].reverse();
  let window = ordered;
  if (query.after !== undefined) {
    const at = ordered.findIndex((item) => idOf(item) === query.after);
    window = at < 0 ? [] : ordered.slice(at + 1);
  } else if (query.before !== undefined) {
    const at = ordered.findIndex((item) => idOf(item) === query.before);
    window = at < 0 ? [] : ordered.slice(Math.max(0, at - query.limit), at);
  }
  const data = window.slice(0, query.limit);
  return {
    object: 'list',
    data,
    first_id: data.length ? idOf(data[0]) : null,
    last_id: data.length ? idOf(data[data.length - 1]) : null,
    has_more: window.length > data.length || (query.before !== undefined && ordered.indexOf(window[0]) > 0),
  };
}
