import type { ModelUsage } from './deterministic-agent.js';

/**
 * The emulated prompt cache. Managed Agents cache the conversation
 * automatically; a request's prompt then falls into three disjoint parts,
 * as the Messages API reports them
 * (https://platform.claude.com/docs/en/build-with-claude/prompt-caching,
 * "Tracking cache performance": total input = cache reads + cache writes +
 * input_tokens):
 * - `cache_read_input_tokens`: the prefix an earlier request of the session
 *   wrote, if its entry is still alive (5-minute lifetime, refreshed by
 *   every hit; measured on the emulator clock);
 * - `cache_creation_input_tokens`: the rest of the prompt up to the cache
 *   breakpoint on its last content block, written with the default
 *   5-minute lifetime;
 * - `input_tokens`: only what follows the breakpoint (the request framing).
 * So a session's first request writes the cache and later ones read it.
 */
export interface PromptCacheState {
  /** Prompt tokens the session's cache entry holds. */
  cachedPromptTokens: number;
  /** When the entry expires, on the emulator clock; it is refreshed by each request that reads or writes it. */
  cacheExpiresAt: number;
}

export interface CachedModelUsage extends ModelUsage {
  cache_read_input_tokens: number;
  cache_creation_input_tokens: number;
}

/** The default (and the emulator's only) cache lifetime. */
export const cacheLifetimeMs = 5 * 60_000;
/** Tokens after the last cache breakpoint, never cached. */
export const uncachedTailTokens = 4;

/**
 * Splits one model request's prompt (`planned.input_tokens`, the whole
 * prompt as the deterministic agent counts it) into uncached input, cache
 * reads and cache writes, and moves the session's cache entry forward.
 */
export function applyPromptCache(state: PromptCacheState, planned: ModelUsage, now: number): CachedModelUsage {
  const prompt = planned.input_tokens;
  const uncached = Math.min(prompt, uncachedTailTokens);
  const cacheable = prompt - uncached;
  const alive = now < state.cacheExpiresAt;
  const read = alive ? Math.min(state.cachedPromptTokens, cacheable) : 0;
  state.cachedPromptTokens = cacheable;
  state.cacheExpiresAt = now + cacheLifetimeMs;
  return { input_tokens: uncached, output_tokens: planned.output_tokens, cache_read_input_tokens: read, cache_creation_input_tokens: cacheable - read };
}
