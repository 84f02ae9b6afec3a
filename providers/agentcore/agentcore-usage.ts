import type { SessionLife, SessionTotals, TurnUsage } from '#libs/runtime-spec';
import type { AgentCoreTarget, Lifecycle } from './agentcore-target.js';

/**
 * A turn's usage. AgentCore reports nothing: tokens are what the codec found
 * in the agent's stream; compute is an estimate from the target's configured
 * microVM size times the turn's wall time. AgentCore bills the session's
 * whole life, idle time included, so this is only the turn's share: the rest
 * is metered when the session ends ({@link sessionCompute}).
 * https://aws.amazon.com/bedrock/agentcore/pricing/
 */
export function turnUsage(target: AgentCoreTarget, tokens: { inputTokens: number; outputTokens: number }, elapsedMs: number): TurnUsage {
  const seconds = Math.max(elapsedMs, 0) / 1000;
  const estimated = target.vcpu !== undefined || target.memoryGiB !== undefined;
  return {
    inputTokens: tokens.inputTokens,
    outputTokens: tokens.outputTokens,
    ...(target.vcpu !== undefined ? { vcpuSeconds: round(seconds * target.vcpu) } : {}),
    ...(target.memoryGiB !== undefined ? { gibSeconds: round(seconds * target.memoryGiB) } : {}),
    ...(estimated ? { computeEstimated: true } : {}),
  };
}

/**
 * The compute AgentCore bills for a whole session, estimated: the target's
 * configured size over the microVM's life, from the first invocation (which
 * boots it) to its end, idle time included. It ends when the broker ends the
 * session, or earlier when AgentCore reaps it: its idle timeout after the
 * last turn, or its maximum lifetime. Per-second billing of CPU and memory
 * over the session's life: see README, "Billing". AgentCore bills active
 * vCPU use (not while waiting on I/O) and peak memory, which no API reports,
 * so the configured size is an upper bound. Undefined without a configured
 * size; zero when no turn ran (no microVM booted).
 */
export function sessionCompute(target: AgentCoreTarget, lifecycle: Lifecycle, life: SessionLife): SessionTotals['compute'] {
  if (target.vcpu === undefined && target.memoryGiB === undefined) return undefined;
  if (!life.firstTurnStartedAt) return { vcpuSeconds: 0, gibSeconds: 0, estimated: true };
  const bootedAt = life.firstTurnStartedAt.getTime();
  const lastContactAt = Math.max(bootedAt, life.lastTurnEndedAt?.getTime() ?? bootedAt);
  const reapedAt = Math.min(bootedAt + lifecycle.maxLifetimeSeconds * 1000, lastContactAt + lifecycle.idleTimeoutSeconds * 1000);
  const seconds = Math.max(0, Math.min(life.endedAt.getTime(), reapedAt) - bootedAt) / 1000;
  return { vcpuSeconds: round(seconds * (target.vcpu ?? 0)), gibSeconds: round(seconds * (target.memoryGiB ?? 0)), estimated: true };
}

const round = (value: number) => Math.round(value * 1000) / 1000;
