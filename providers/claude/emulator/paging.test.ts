import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ClaudeApiError } from './api-errors.js';
import { paginate } from './paging.js';

const items = ['a', 'b', 'c', 'd', 'e'].map((id) => ({ id }));
const ids = (page: { data: Array<{ id: string }> }) => page.data.map((item) => item.id);

test('next_page walks forward and prev_page walks back', () => {
  const first = paginate(items, 2);
  assert.deepEqual(ids(first), ['a', 'b']);
  assert.equal(first.prev_page, null);
  const second = paginate(items, 2, first.next_page!);
  assert.deepEqual(ids(second), ['c', 'd']);
  const last = paginate(items, 2, second.next_page!);
  assert.deepEqual(ids(last), ['e']);
  assert.equal(last.next_page, null);
  assert.deepEqual(ids(paginate(items, 2, last.prev_page!)), ['c', 'd']);
});

test('a cursor stays put when items are appended', () => {
  const first = paginate(items, 2);
  assert.deepEqual(ids(paginate([...items, { id: 'f' }], 10, first.next_page!)), ['c', 'd', 'e', 'f']);
});

test('a garbled or stale cursor is a 400', () => {
  assert.throws(() => paginate(items, 2, 'page_garbage'), (error: unknown) => error instanceof ClaudeApiError && error.status === 400);
  const cursor = paginate(items, 2).next_page!;
  assert.throws(() => paginate(items.slice(2), 2, cursor), (error: unknown) => error instanceof ClaudeApiError && error.status === 400);
});
