import { test } from 'node:test';
import assert from 'node:assert/strict';
import { maxRetryAfterSeconds, readRetryAfter } from './retry-after.js';

const now = Date.parse('2026-05-01T12:00:00Z');

test('delay-seconds: digits are seconds; zero means no wait to report', () => {
  assert.equal(readRetryAfter('1', now), 1);
  assert.equal(readRetryAfter(' 120 ', now), 120);
  assert.equal(readRetryAfter('0', now), undefined);
});

test('HTTP-date: seconds from now, rounded up; the obsolete forms too; a past date is no hint', () => {
  assert.equal(readRetryAfter('Fri, 01 May 2026 12:00:30 GMT', now), 30);
  assert.equal(readRetryAfter('Friday, 01-May-26 12:01:00 GMT', now), 60);
  assert.equal(readRetryAfter('Fri May  1 12:00:05 2026', now), 5);
  assert.equal(readRetryAfter('Fri, 01 May 2026 11:59:00 GMT', now), undefined);
});

test('waits past the cap are clipped, whatever the form', () => {
  assert.equal(readRetryAfter('86400', now), maxRetryAfterSeconds);
  assert.equal(readRetryAfter('Sat, 02 May 2026 12:00:00 GMT', now), maxRetryAfterSeconds);
});

test('garbage and absence give no hint', () => {
  for (const value of [undefined, null, '', '  ', 'soon', '-5', '1.5', '12abc', '0x10', 'Infinity', 'Fri, 99 Foo 2026 GMT']) {
    assert.equal(readRetryAfter(value, now), undefined, String(value));
  }
});
