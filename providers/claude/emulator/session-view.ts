import type { EmulatorClock } from '#libs/emulator-kit';
import type { SessionRecord } from './session-store.js';

/** Emulated milliseconds `running`, counting the turn in progress. */
export function activeMs(session: SessionRecord, now: number): number {
  return session.activeMs + (session.runningSince === null ? 0 : now - session.runningSince);
}

/**
 * `BetaManagedAgentsSessionUsage`, cumulative over the session: the sums of
 * the model requests' `model_usage` (input_tokens uncached only; cache reads
 * and writes apart, writes by lifetime, see prompt-cache.ts). No
 * `list_cost`: the emulator has no price list.
 */
export function usageSnapshot(session: SessionRecord, now: number) {
  return {
    input_tokens: session.inputTokens,
    output_tokens: session.outputTokens,
    cache_read_input_tokens: session.cacheReadInputTokens,
    cache_creation: { ephemeral_5m_input_tokens: session.cacheCreationInputTokens, ephemeral_1h_input_tokens: 0 },
    active_seconds: activeMs(session, now) / 1000,
  };
}

/** The session as `GET /v1/sessions/{id}` returns it (`BetaManagedAgentsSession`). */
export function sessionObject(session: SessionRecord, clock: EmulatorClock) {
  const now = clock.now();
  const iso = (ms: number) => new Date(ms).toISOString();
  return {
    id: session.id,
    type: 'session',
    status: session.status,
    title: session.title,
    agent: session.agent,
    environment_id: session.environmentId,
    metadata: session.metadata,
    resources: session.resources,
    vault_ids: session.vaultIds,
    outcome_evaluations: [],
    budget: session.budget,
    usage: usageSnapshot(session, now),
    stats: { active_seconds: activeMs(session, now) / 1000, duration_seconds: (now - session.createdAt) / 1000 },
    archived_at: session.archivedAt === null ? null : iso(session.archivedAt),
    created_at: iso(session.createdAt),
    updated_at: iso(session.updatedAt),
  };
}
