import { test } from 'node:test';
import assert from 'node:assert/strict';
import { countWords, splitIntoChunks } from './text-chunks.js';

test('chunks split at word boundaries and join back exactly', () => {
  const text = 'Turn 2. You said: "a  b". Earlier you said: "c".';
  const chunks = splitIntoChunks(text);
  assert.equal(chunks.length, 3);
  assert.equal(chunks.join(''), text);
  assert.deepEqual(splitIntoChunks('one'), ['one']);
  assert.equal(countWords('  a b\nc '), 3);
});
