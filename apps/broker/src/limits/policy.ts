import type { AppConfig } from '#libs/config';
import type { IsolationClass } from '#libs/runtime-spec';
import type { StoredPolicy } from './limits.repository.js';
import type { IsolationLevel, Policy } from './limits.schemas.js';

/** The policy of a tenant that never set one: no limits, the broker's default timeouts, any runtime. */
export function defaultPolicy(config: AppConfig): Policy {
  return {
    maxActiveSessionsPerUser: null,
    maxActiveSessionsPerTenant: null,
    sessionCreatesPerMinutePerUser: null,
    turnsPerMinutePerUser: null,
    idleTimeoutSeconds: config.sessions.defaultIdleTimeoutSeconds,
    maxLifetimeSeconds: config.sessions.defaultMaxLifetimeSeconds,
    monthlyBudgetUsdPerUser: null,
    monthlyBudgetUsdPerTenant: null,
    requiredIsolation: 'any',
  };
}

/**
 * Default ← tenant policy ← user override. A stored null means "no limit",
 * except for the timeouts and the isolation requirement, where it means
 * "back to the default".
 */
export function effectivePolicy(config: AppConfig, tenant: StoredPolicy, user: StoredPolicy = {}): Policy {
  const base = defaultPolicy(config);
  const merged = { ...base, ...tenant, ...user };
  return {
    ...merged,
    idleTimeoutSeconds: merged.idleTimeoutSeconds ?? base.idleTimeoutSeconds,
    maxLifetimeSeconds: merged.maxLifetimeSeconds ?? base.maxLifetimeSeconds,
    requiredIsolation: merged.requiredIsolation ?? base.requiredIsolation,
  };
}

const isolationRank: Record<IsolationClass | IsolationLevel, number> = { any: 0, shared: 0, sandbox: 1, vm: 2, microvm: 3 };

/** Whether a runtime of this isolation class meets the policy's requirement. */
export function meetsIsolation(runtime: IsolationClass, required: IsolationLevel): boolean {
  return isolationRank[runtime] >= isolationRank[required];
}

/** The budget month a moment falls in, as the ledger's key (`2026-11-01`). */
export function budgetMonth(now = new Date()): string {
  return `${now.getUTCFullYear()}-${String(now.getUTCMonth() + 1).padStart(2, '0')}-01`;
}

/** Seconds until the current one-minute rate window closes (for Retry-After). */
export function secondsToNextMinute(now = new Date()): number {
  return Math.max(1, 60 - now.getUTCSeconds());
}
