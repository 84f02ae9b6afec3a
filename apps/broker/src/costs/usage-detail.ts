import type { TurnUsage } from '#libs/runtime-spec';

/** What a turn's `usage` says beyond tokens and active seconds (API.md §4 "Usage detail"), in the client's names. */
export interface UsageDetail {
  cacheReadInputTokens?: number;
  cacheWriteInputTokens?: number;
  usageReported?: false;
  compute?: { vcpuSeconds: number; gibSeconds: number; estimated: boolean };
}

/**
 * The detail of a turn's usage: prompt-cache reads and writes when the
 * provider reported any, `usageReported: false` when it reported no token
 * counts (the zeros are not measurements), and compute with whether the
 * broker estimated it. Fields that say nothing are left out.
 */
export function usageDetail(usage: TurnUsage): UsageDetail {
  const compute = usage.vcpuSeconds !== undefined || usage.gibSeconds !== undefined;
  // To the millisecond, as the turn's row keeps them: the answer and a later read of the turn agree.
  const ms = (seconds: number | undefined) => Math.round((seconds ?? 0) * 1000) / 1000;
  return {
    ...(usage.cacheReadInputTokens ? { cacheReadInputTokens: usage.cacheReadInputTokens } : {}),
    ...(usage.cacheCreationInputTokens ? { cacheWriteInputTokens: usage.cacheCreationInputTokens } : {}),
    ...(usage.usageReported === false ? { usageReported: false as const } : {}),
    ...(compute ? { compute: { vcpuSeconds: ms(usage.vcpuSeconds), gibSeconds: ms(usage.gibSeconds), estimated: usage.computeEstimated === true } } : {}),
  };
}
