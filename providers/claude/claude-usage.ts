import type { SessionTotals, TurnUsage } from '#libs/runtime-spec';
import type { ClaudeSessionUsage } from './claude-wire.js';

/**
 * A session's cumulative usage as the adapter keeps it between turns (in
 * the session state): the baseline the next turn's delta is taken from.
 * Fields added later are optional, so a state written before them still
 * reads (as 0).
 */
export interface CumulativeUsage {
  input_tokens: number;
  output_tokens: number;
  active_seconds: number;
  cache_read_input_tokens?: number;
  cache_creation_5m_input_tokens?: number;
  cache_creation_1h_input_tokens?: number;
}

export const zeroUsage: Required<CumulativeUsage> = {
  input_tokens: 0,
  output_tokens: 0,
  active_seconds: 0,
  cache_read_input_tokens: 0,
  cache_creation_5m_input_tokens: 0,
  cache_creation_1h_input_tokens: 0,
};

const fields = Object.keys(zeroUsage) as Array<keyof CumulativeUsage>;

/** Claude's wire usage as a cumulative counter set; an absent `active_seconds` keeps `fallback`'s. */
export function cumulativeOf(usage: ClaudeSessionUsage, fallback: CumulativeUsage): Required<CumulativeUsage> {
  return {
    input_tokens: usage.input_tokens,
    output_tokens: usage.output_tokens,
    active_seconds: usage.active_seconds ?? fallback.active_seconds,
    cache_read_input_tokens: usage.cache_read_input_tokens,
    // Without the per-TTL breakdown, a flat total is 5-minute writes: the default TTL, and the cheaper price, so never an overcharge.
    cache_creation_5m_input_tokens: usage.cache_creation ? usage.cache_creation.ephemeral_5m_input_tokens : (usage.cache_creation_input_tokens ?? 0),
    cache_creation_1h_input_tokens: usage.cache_creation?.ephemeral_1h_input_tokens ?? 0,
  };
}

/**
 * Field by field, the larger of two cumulative snapshots. Every counter
 * only grows, so the larger figure is the newer one: a read that lags a
 * snapshot already streamed cannot take tokens back.
 */
export function newestOf(first: CumulativeUsage, second: CumulativeUsage): Required<CumulativeUsage> {
  return Object.fromEntries(fields.map((field) => [field, Math.max(first[field] ?? 0, second[field] ?? 0)])) as Required<CumulativeUsage>;
}

/** What a turn used: `now` minus the `baseline` at its start, never negative. */
export function turnUsageBetween(baseline: CumulativeUsage, now: Required<CumulativeUsage>, activeReported: boolean): TurnUsage {
  const delta = (field: keyof CumulativeUsage) => Math.max(0, now[field] - (baseline[field] ?? 0));
  const cacheRead = delta('cache_read_input_tokens');
  const cacheWrite1h = delta('cache_creation_1h_input_tokens');
  const cacheWrite = delta('cache_creation_5m_input_tokens') + cacheWrite1h;
  return {
    inputTokens: delta('input_tokens'),
    outputTokens: delta('output_tokens'),
    ...(cacheRead > 0 ? { cacheReadInputTokens: cacheRead } : {}),
    ...(cacheWrite > 0 ? { cacheCreationInputTokens: cacheWrite } : {}),
    ...(cacheWrite1h > 0 ? { cacheCreation1hInputTokens: cacheWrite1h } : {}),
    providerActiveSeconds: activeReported ? delta('active_seconds') : undefined,
  };
}

/** The session's cumulative token counts as {@link SessionTotals} (cache writes: all lifetimes, and the one-hour ones among them). */
export function sessionTokenTotals(usage: ClaudeSessionUsage): NonNullable<SessionTotals['tokens']> {
  const cumulative = cumulativeOf(usage, zeroUsage);
  return {
    inputTokens: cumulative.input_tokens,
    outputTokens: cumulative.output_tokens,
    cacheReadInputTokens: cumulative.cache_read_input_tokens,
    cacheCreationInputTokens: cumulative.cache_creation_5m_input_tokens + cumulative.cache_creation_1h_input_tokens,
    cacheCreation1hInputTokens: cumulative.cache_creation_1h_input_tokens,
  };
}
