import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sessionCompute } from './agentcore-usage.js';
import type { AgentCoreTarget } from './agentcore-target.js';

const target = { agentRuntimeArn: 'arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/demo-Ab12345678', qualifier: 'DEFAULT', responseCodec: 'text', vcpu: 2, memoryGiB: 8 } as AgentCoreTarget;
const lifecycle = { idleTimeoutSeconds: 900, maxLifetimeSeconds: 28_800 };
const at = (seconds: number) => new Date(Date.UTC(2026, 11, 4) + seconds * 1000);

test('AgentCore bills the session from its first invocation to its end, idle time included', () => {
  const life = { firstTurnStartedAt: at(0), lastTurnEndedAt: at(600), endedAt: at(700) };
  assert.deepEqual(sessionCompute(target, lifecycle, life), { vcpuSeconds: 1400, gibSeconds: 5600, estimated: true });
});

test('a session AgentCore reaped first ends at the idle timeout after its last turn, or at its maximum lifetime', () => {
  assert.deepEqual(sessionCompute(target, lifecycle, { firstTurnStartedAt: at(0), lastTurnEndedAt: at(100), endedAt: at(5000) }), { vcpuSeconds: 2000, gibSeconds: 8000, estimated: true });
  const short = { idleTimeoutSeconds: 900, maxLifetimeSeconds: 1200 };
  assert.deepEqual(sessionCompute(target, short, { firstTurnStartedAt: at(0), lastTurnEndedAt: at(1100), endedAt: at(1500) }), { vcpuSeconds: 2400, gibSeconds: 9600, estimated: true });
});

test('no turn, no microVM: zero; no configured size: nothing to estimate', () => {
  assert.deepEqual(sessionCompute(target, lifecycle, { firstTurnStartedAt: null, lastTurnEndedAt: null, endedAt: at(10) }), { vcpuSeconds: 0, gibSeconds: 0, estimated: true });
  const unsized = { ...target, vcpu: undefined, memoryGiB: undefined } as AgentCoreTarget;
  assert.equal(sessionCompute(unsized, lifecycle, { firstTurnStartedAt: at(0), lastTurnEndedAt: at(1), endedAt: at(10) }), undefined);
});
