import type { TurnUsage } from '#libs/runtime-spec';
import { engineSizeDefaults, type VertexTarget } from './vertex-target.js';

/**
 * A turn's usage: tokens as the agent's model calls reported them, and an
 * estimate of the compute it held. Agent Engine bills vCPU- and GiB-seconds of
 * its shared container pool, not per request; one request occupies one of the
 * container's `containerConcurrency` slots, so its share is the container's
 * size divided by that, for as long as the turn was active. Marked as an
 * estimate: the real bill depends on how full the pool was.
 * https://cloud.google.com/vertex-ai/pricing#vertex-ai-agent-engine
 */
export function turnUsage(target: VertexTarget, tokens: { inputTokens: number; outputTokens: number }, activeSeconds: number): TurnUsage {
  const vcpu = target.vcpu ?? engineSizeDefaults.vcpu;
  const memoryGiB = target.memoryGiB ?? engineSizeDefaults.memoryGiB;
  const concurrency = target.containerConcurrency ?? engineSizeDefaults.containerConcurrency;
  const round = (value: number) => Math.round(value * 1000) / 1000;
  return {
    inputTokens: tokens.inputTokens,
    outputTokens: tokens.outputTokens,
    vcpuSeconds: round((activeSeconds * vcpu) / concurrency),
    gibSeconds: round((activeSeconds * memoryGiB) / concurrency),
    computeEstimated: true,
  };
}
