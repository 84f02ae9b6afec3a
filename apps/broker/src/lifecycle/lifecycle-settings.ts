import type { AppConfig } from '#libs/config';

/*
 * The reaper's timing. Constants for now (the lead turns the first few into
 * config keys); every threshold that depends on provider timeouts is derived
 * from the validated config below, so it can never undercut them.
 */

/**
 * How often the reaper sweeps. It is also the lease: the lead is re-checked
 * (or, on a follower, tried) once per sweep, so a killed leader is replaced
 * within one interval, and an expired session is ended within about one.
 */
export const sweepIntervalMs = 3_000;

/** Rows one step of a sweep takes on at most; the rest wait for the next sweep. */
export const sweepBatchSize = 100;

/** Provider calls (stop, status, orphan search) one sweep makes at once. */
export const providerCallConcurrency = 8;

/**
 * A turn claim older than the turn timeout plus this is from a replica that
 * died mid-turn. Equal to the takeover margin of `TurnsService.claim`, so the
 * reaper never releases a claim a live replica could still finish.
 */
export const lostTurnMarginMs = 60_000;

/** Slack on top of the longest a provider call can take: the database writes around it and event-loop stalls. */
export const providerCallMarginMs = 5_000;

/**
 * A `provisioning` session whose orphan cannot be searched for this long
 * (the provider keeps failing) is ended anyway: it would otherwise count
 * against the user's live-session limit forever.
 */
export const orphanSearchGiveUpMs = 3_600_000;

/** Live sessions whose provider status one sweep checks (adapters with `getSessionStatus`). */
export const statusCheckBatchSize = 20;

/** Each live session's provider status is checked at most this often. */
export const statusRecheckIntervalMs = 60_000;

/**
 * How often failed provider stops are retried. Slower than a sweep: the
 * query has no index of its own (it scans terminated sessions).
 */
export const stopRetryIntervalMs = 30_000;

/** Failed stops are retried for this long after termination; every provider has ended the session itself by then. */
export const stopRetryWindowMs = 30 * 24 * 3_600_000;

/**
 * The longest one `ProviderCalls.call` can take: every attempt times out
 * at `callTimeoutMs`, and each retry waits at most the larger of 30 s (the
 * cap on a provider's Retry-After) and the exponential backoff.
 */
export function providerCallBoundMs(runtimes: AppConfig['runtimes']): number {
  let bound = (runtimes.retry.maxRetries + 1) * runtimes.callTimeoutMs;
  for (let attempt = 0; attempt < runtimes.retry.maxRetries; attempt++) bound += Math.max(30_000, runtimes.retry.baseDelayMs * 2 ** attempt);
  return bound;
}

/** The reaper's thresholds for one broker's config. */
export interface LifecycleThresholds {
  /** A session still `provisioning` after this is stuck: its replica died between the database write and the provider's answer. */
  provisioningStuckAfterMs: number;
  /** A turn claim older than this is from a replica that died mid-turn. */
  turnLostAfterMs: number;
  /** A termination's own provider stop may still be running until this long after it; retries wait for it. */
  stopRetryAfterMs: number;
}

export function lifecycleThresholds(config: AppConfig): LifecycleThresholds {
  const providerCall = providerCallBoundMs(config.runtimes) + providerCallMarginMs;
  return {
    provisioningStuckAfterMs: providerCall,
    turnLostAfterMs: config.runtimes.turnTimeoutMs + lostTurnMarginMs,
    stopRetryAfterMs: providerCall,
  };
}
