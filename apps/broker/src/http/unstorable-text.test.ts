import { test } from 'node:test';
import assert from 'node:assert/strict';
import { maxNestingDepth, unstorableTextProblems } from './unstorable-text.js';

const paths = (parts: Record<string, unknown>) => unstorableTextProblems(parts).map((problem) => problem.path);

test('NUL and lone surrogates are found in values and keys at any depth, each at its path', () => {
  const body = JSON.parse('{"a":"ok","b":"x\\u0000y","c":[{"d":"\\ud800"}],"e\\u0000":1,"\\udc00":{"f":"\\ud83d\\ude00"}}');
  // In document order, except that an object's strings come before what is nested in it.
  assert.deepEqual(paths({ body }), ['body.b', 'body.e\\u0000', 'body.\\udc00', 'body.c.0.d']);
  const [, key] = unstorableTextProblems({ body });
  assert.match(key.message, /^the key contains a NUL/);
});

test('well-formed text passes: surrogate pairs, other control characters, non-strings', () => {
  assert.deepEqual(paths({ body: { emoji: '\ud83d\ude00', tab: '\t\r\n\u0001', n: 1, b: true, z: null }, query: { q: 'é' }, params: {} }), []);
});

test('every part is checked: params, query and headers as well as the body', () => {
  assert.deepEqual(paths({ params: { id: 'a\u0000' }, query: { user: ['ok', 'b\u0000'] }, headers: { 'idempotency-key': 'k\u0000' } }), [
    'params.id',
    'query.user.1',
    'headers.idempotency-key',
  ]);
});

test('nesting deeper than the limit is one problem, found without recursion', () => {
  const deep = JSON.parse(`${'['.repeat(100_000)}${']'.repeat(100_000)}`);
  const problems = unstorableTextProblems({ body: { metadata: deep } });
  assert.equal(problems.length, 1);
  assert.match(problems[0].message, new RegExp(`deeper than ${maxNestingDepth}`));
  assert.deepEqual(paths({ body: JSON.parse(`${'['.repeat(maxNestingDepth)}${']'.repeat(maxNestingDepth)}`) }), []);
});

test('a body full of bad strings lists the first twenty', () => {
  assert.equal(unstorableTextProblems({ body: Array.from({ length: 10_000 }, () => '\u0000') }).length, 20);
});

test('a body of a few hundred thousand small objects is walked without overflowing anything', () => {
  const many = JSON.parse(`[${Array.from({ length: 300_000 }, () => '{}').join(',')}]`);
  assert.deepEqual(unstorableTextProblems({ body: many }), []);
});
