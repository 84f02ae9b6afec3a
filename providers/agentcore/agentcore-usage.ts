import type { TurnUsage } from '#libs/runtime-spec';
import type { AgentCoreTarget } from './agentcore-target.js';

/**
 * A turn's usage. AgentCore reports nothing: tokens are what the codec found
 * in the agent's stream; compute is an estimate from the target's configured
 * microVM size times the turn's wall time (AgentCore bills actual vCPU use and
 * peak memory per second, including idle time, so this is only a guide).
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

const round = (value: number) => Math.round(value * 1000) / 1000;
