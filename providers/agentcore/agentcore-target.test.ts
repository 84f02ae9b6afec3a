import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { runtimeUserIdFor } from './agentcore-adapter.js';
import { runtimeSessionIdFor } from './agentcore-session-id.js';
import { parseTargetWith } from '#libs/provider-kit';
import { agentCoreTargetSchema, parseRuntimeArn } from './agentcore-target.js';

const arn = 'arn:aws:bedrock-agentcore:eu-central-1:123456789012:runtime/refund_agent-AbC123xYz0';

describe('agentcore target', () => {
  test('accepts a runtime ARN with its options and reads region and runtime id from it', () => {
    const parsed = parseTargetWith(agentCoreTargetSchema, { agentRuntimeArn: arn, qualifier: 'prod_v2', responseCodec: 'strands', runtimeUserId: true, idleTimeoutSeconds: 300, vcpu: 1, memoryGiB: 2 });
    assert.equal(parsed.ok, true);
    assert.deepEqual(parseRuntimeArn(arn), { partition: 'aws', region: 'eu-central-1', accountId: '123456789012', runtimeId: 'refund_agent-AbC123xYz0' });
  });

  test('names every problem: ARN, qualifier, codec, lifecycle bounds and order, unknown fields', () => {
    const bad = (raw: unknown) => {
      const parsed = parseTargetWith(agentCoreTargetSchema, raw);
      assert.equal(parsed.ok, false);
      return parsed.ok ? [] : parsed.problems.map((problem) => problem.path);
    };
    assert.deepEqual(bad({ agentRuntimeArn: 'arn:aws:bedrock:us-east-1:123456789012:agent/x', responseCodec: 'strands' }), ['agentRuntimeArn']);
    assert.deepEqual(bad({ agentRuntimeArn: arn.replace('123456789012', '1234'), responseCodec: 'strands' }), ['agentRuntimeArn']);
    assert.deepEqual(bad({ agentRuntimeArn: arn, qualifier: 'bad-name', responseCodec: 'text' }), ['qualifier']);
    assert.deepEqual(bad({ agentRuntimeArn: arn, responseCodec: 'sse' }), ['responseCodec']);
    assert.deepEqual(bad({ agentRuntimeArn: arn, responseCodec: 'text', idleTimeoutSeconds: 30 }), ['idleTimeoutSeconds']);
    assert.deepEqual(bad({ agentRuntimeArn: arn, responseCodec: 'text', idleTimeoutSeconds: 3600, maxLifetimeSeconds: 600 }), ['idleTimeoutSeconds']);
    assert.deepEqual(bad({ agentRuntimeArn: arn, responseCodec: 'text', region: 'us-east-1' }), ['region']);
  });

  test('the runtime session id is derived from the broker session id, within AgentCore’s 33–256 characters', () => {
    const id = runtimeSessionIdFor('ses_06gzshcnztkkvgdzjvnkdwanng');
    assert.equal(id, 'switchboard-ses_06gzshcnztkkvgdzjvnkdwanng');
    assert.equal(runtimeSessionIdFor('ses_06gzshcnztkkvgdzjvnkdwanng'), id, 'a retried open gets the same id');
    for (const sessionId of ['s', 'x'.repeat(300), 'with spaces/and:colons']) {
      const derived = runtimeSessionIdFor(sessionId);
      assert.ok(derived.length >= 33 && derived.length <= 256 && /^[a-zA-Z0-9_-]+$/.test(derived), derived);
    }
  });

  test('runtimeUserId is tenant-qualified, so two tenants’ "u-42" never share AgentCore identity tokens', () => {
    assert.equal(runtimeUserIdFor({ tenantId: 'ten_a', userId: 'u-42' }), 'ten_a:u-42');
    assert.notEqual(runtimeUserIdFor({ tenantId: 'ten_b', userId: 'u-42' }), runtimeUserIdFor({ tenantId: 'ten_a', userId: 'u-42' }));
    assert.ok(runtimeUserIdFor({ tenantId: 'ten_a', userId: 'u'.repeat(500) }).length <= 128);
  });
});
