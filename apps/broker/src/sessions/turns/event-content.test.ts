import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { capEventContent, jsonBytes, truncationMarker } from './event-content.js';

const max = 16 * 1024;

test('data within the cap is kept as it is', () => {
  const data = { role: 'agent', content: [{ type: 'text', text: 'hello' }] };
  assert.equal(capEventContent(data, max), data);
});

test('the longest strings are cut to fit, with a marker, and the shape is kept', () => {
  const data = { id: 'call_1', name: 'bash', input: { command: 'a'.repeat(40_000), cwd: '/tmp' }, extra: 'b'.repeat(10_000) };
  const capped = capEventContent(data, max) as typeof data & { truncated: { originalBytes: number; maxBytes: number } };
  assert.ok(jsonBytes(capped) <= max, `${jsonBytes(capped)} bytes`);
  assert.deepEqual(capped.truncated, { originalBytes: jsonBytes(data), maxBytes: max });
  assert.ok(capped.input.command.endsWith(truncationMarker));
  assert.equal(capped.input.cwd, '/tmp');
  assert.equal(capped.name, 'bash');
  assert.equal(data.input.command.length, 40_000, 'the original is not changed');
});

test('a cut never splits a surrogate pair', () => {
  const capped = capEventContent({ text: '😀'.repeat(20_000) }, max) as { text: string };
  assert.doesNotMatch(capped.text, /[\ud800-\udbff](?![\udc00-\udfff])/);
});

test('data with no long string to cut becomes its short fields and a preview', () => {
  const data = { id: 'x', items: Array.from({ length: 5000 }, (_, index) => index) };
  const capped = capEventContent(data, max);
  assert.ok(jsonBytes(capped) <= max);
  assert.equal(capped.id, 'x');
  assert.equal(typeof capped.preview, 'string');
  assert.ok(capped.truncated);
});

test('whatever the data, the result fits the cap', () => {
  fc.assert(
    fc.property(fc.jsonValue({ maxDepth: 4 }), fc.string({ minLength: 0, maxLength: 30_000, unit: 'binary' }), (value, text) => {
      const data = { value, text } as Record<string, unknown>;
      assert.ok(jsonBytes(capEventContent(data, max)) <= max);
    }),
    { numRuns: 200 },
  );
});
