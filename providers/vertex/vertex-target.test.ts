import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseTargetWith } from '#libs/provider-kit';
import { lastSegment, vertexSessionIdFor, vertexUserIdFor } from './vertex-ids.js';
import { locationOf, vertexTargetSchema } from './vertex-target.js';
import { turnUsage } from './vertex-usage.js';

const engine = 'projects/acme-prod/locations/europe-west4/reasoningEngines/1234567890';

test('a target names a reasoning engine by its full resource name', () => {
  assert.deepEqual(parseTargetWith(vertexTargetSchema, { reasoningEngine: engine, vcpu: 2, memoryGiB: 8, containerConcurrency: 5 }), {
    ok: true,
    target: { reasoningEngine: engine, vcpu: 2, memoryGiB: 8, containerConcurrency: 5 },
  });
  assert.equal(locationOf(engine), 'europe-west4');
});

test('malformed targets name the bad field', () => {
  const problems = (raw: unknown) => {
    const result = parseTargetWith(vertexTargetSchema, raw);
    return result.ok ? [] : result.problems.map((problem) => problem.path);
  };
  assert.deepEqual(problems({ reasoningEngine: 'reasoningEngines/123' }), ['reasoningEngine']);
  assert.deepEqual(problems({ reasoningEngine: `${engine}/sessions/1` }), ['reasoningEngine']);
  assert.deepEqual(problems({ reasoningEngine: 'projects/acme-prod/locations/europe-west4/reasoningEngines/my-agent' }), ['reasoningEngine']);
  assert.deepEqual(problems({ reasoningEngine: engine, vcpu: 3 }), ['vcpu']);
  assert.deepEqual(problems({ reasoningEngine: engine, memoryGiB: 64, containerConcurrency: 0 }), ['memoryGiB', 'containerConcurrency']);
  assert.deepEqual(problems({ reasoningEngine: engine, region: 'x' }), ['region']);
});

test('the Vertex session id derives from the broker id and fits the service pattern', () => {
  const id = vertexSessionIdFor('ses_01jc8z4e6b5x0q9v7n3m2k1h0g');
  assert.equal(id, 'sb-ses-01jc8z4e6b5x0q9v7n3m2k1h0g');
  assert.match(id, /^[a-z][a-z0-9-]{0,61}[a-z0-9]$/);
  assert.equal(vertexSessionIdFor('ses_01jc8z4e6b5x0q9v7n3m2k1h0g'), id, 'stable, so a retried create names the same session');
  assert.equal(lastSegment(`${engine}/sessions/${id}`), id);
});

test('the Vertex user id is tenant-qualified and does not reveal the end user', () => {
  const first = vertexUserIdFor({ tenantId: 'ten_a', userId: 'alice' });
  const second = vertexUserIdFor({ tenantId: 'ten_b', userId: 'alice' });
  assert.notEqual(first, second);
  assert.match(first, /^ten_a:[0-9a-f]{32}$/);
  assert.equal(vertexUserIdFor({ tenantId: 'ten_a', userId: 'alice' }), first);
  assert.notEqual(vertexUserIdFor({ tenantId: 'ten_a', userId: 'bob' }), first);
});

test('compute is estimated as the container size shared by its concurrency', () => {
  const tokens = { inputTokens: 10, outputTokens: 4 };
  assert.deepEqual(turnUsage({ reasoningEngine: engine }, tokens, 9), { ...tokens, vcpuSeconds: 4, gibSeconds: 4, computeEstimated: true });
  assert.deepEqual(turnUsage({ reasoningEngine: engine, vcpu: 8, memoryGiB: 16, containerConcurrency: 4 }, tokens, 2), {
    ...tokens,
    vcpuSeconds: 4,
    gibSeconds: 8,
    computeEstimated: true,
  });
});
