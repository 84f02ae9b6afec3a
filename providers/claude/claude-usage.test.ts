import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cumulativeOf, newestOf, turnUsageBetween, zeroUsage } from './claude-usage.js';
import { sessionUsageSchema } from './claude-wire.js';

const wire = (raw: unknown) => cumulativeOf(sessionUsageSchema.parse(raw), zeroUsage);

test('a turn is the difference of two cumulative readings, cache writes by lifetime', () => {
  const baseline = wire({ input_tokens: 4, output_tokens: 12, cache_read_input_tokens: 0, cache_creation: { ephemeral_5m_input_tokens: 40 }, active_seconds: 0.52 });
  const now = wire({ input_tokens: 8, output_tokens: 40, cache_read_input_tokens: 40, cache_creation: { ephemeral_5m_input_tokens: 100, ephemeral_1h_input_tokens: 7 }, active_seconds: 1.5 });
  const usage = turnUsageBetween(baseline, now, true);
  assert.deepEqual({ ...usage, providerActiveSeconds: usage.providerActiveSeconds?.toFixed(2) }, {
    inputTokens: 4,
    outputTokens: 28,
    cacheReadInputTokens: 40,
    cacheCreationInputTokens: 67,
    cacheCreation1hInputTokens: 7,
    providerActiveSeconds: '0.98',
  });
});

test('a baseline from before cache fields existed reads as zero cache use', () => {
  const legacy = { input_tokens: 10, output_tokens: 10, active_seconds: 1 };
  const usage = turnUsageBetween(legacy, wire({ input_tokens: 14, output_tokens: 20, cache_read_input_tokens: 30 }), false);
  assert.deepEqual(usage, { inputTokens: 4, outputTokens: 10, cacheReadInputTokens: 30, providerActiveSeconds: undefined });
});

test('a lagging read cannot take back what a streamed snapshot already showed', () => {
  const streamed = wire({ input_tokens: 10, output_tokens: 50, cache_read_input_tokens: 5 });
  const lagging = wire({ input_tokens: 10, output_tokens: 30, cache_read_input_tokens: 9 });
  assert.deepEqual(newestOf(streamed, lagging), { ...zeroUsage, input_tokens: 10, output_tokens: 50, cache_read_input_tokens: 9 });
});

test("cache writes as the docs show them (one flat cache_creation_input_tokens) count as 5-minute writes; a per-TTL breakdown, when given, wins", () => {
  assert.equal(wire({ input_tokens: 1, output_tokens: 1, cache_creation_input_tokens: 2000 }).cache_creation_5m_input_tokens, 2000);
  const both = wire({ input_tokens: 1, output_tokens: 1, cache_creation_input_tokens: 2000, cache_creation: { ephemeral_5m_input_tokens: 1500, ephemeral_1h_input_tokens: 500 } });
  assert.deepEqual([both.cache_creation_5m_input_tokens, both.cache_creation_1h_input_tokens], [1500, 500]);
});
