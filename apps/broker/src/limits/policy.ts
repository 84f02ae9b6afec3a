import { platformLimitSettings, type AppConfig } from '#libs/config';
import { AppError } from '#libs/errors';
import type { IsolationClass } from '#libs/runtime-spec';
import type { StoredPolicy } from './limits.repository.js';
import type { IsolationLevel, Policy, PolicyLayer, PolicySources } from './limits.schemas.js';

/** The policy of a tenant that never set one: the platform defaults, the broker's default timeouts, any runtime. */
export function defaultPolicy(config: AppConfig): Policy {
  const platform = config.limits.platform;
  return {
    maxActiveSessionsPerUser: platform.maxActiveSessionsPerUser.default,
    maxActiveSessionsPerTenant: platform.maxActiveSessionsPerTenant.default,
    sessionCreatesPerMinutePerUser: platform.sessionCreatesPerMinutePerUser.default,
    turnsPerMinutePerUser: platform.turnsPerMinutePerUser.default,
    maxOpenStreamsPerTenant: platform.maxOpenStreamsPerTenant.default,
    idleTimeoutSeconds: config.sessions.defaultIdleTimeoutSeconds,
    maxLifetimeSeconds: config.sessions.defaultMaxLifetimeSeconds,
    monthlyBudgetUsdPerUser: null,
    monthlyBudgetUsdPerTenant: null,
    requiredIsolation: 'any',
    transcriptRetentionDays: null,
    budgetAlertThresholds: null,
  };
}

export const ceilingedLimits = platformLimitSettings.map(([field]) => field);

/**
 * Platform default ← tenant policy ← user override, each capped by the
 * platform ceiling. A stored null means "no limit of this layer's own": for
 * a capped field that is the ceiling; for the timeouts and the isolation
 * requirement, the default; elsewhere (budgets), no limit.
 */
export function resolvePolicy(config: AppConfig, tenant: StoredPolicy, user: StoredPolicy = {}): { policy: Policy; sources: PolicySources } {
  const base = defaultPolicy(config);
  const policy = { ...base } as Record<keyof Policy, unknown>;
  const sources = {} as Record<keyof Policy, PolicyLayer>;
  for (const field of Object.keys(base) as (keyof Policy)[]) {
    const layer: PolicyLayer = field in user ? 'user' : field in tenant ? 'tenant' : 'platform';
    const stored = layer === 'user' ? user[field] : layer === 'tenant' ? tenant[field] : base[field];
    policy[field] = stored ?? base[field];
    sources[field] = stored === null && (field === 'idleTimeoutSeconds' || field === 'maxLifetimeSeconds' || field === 'requiredIsolation') ? 'platform' : layer;
  }
  for (const field of ceilingedLimits) {
    const { ceiling } = config.limits.platform[field];
    const chosen = sources[field] === 'platform' ? base[field] : (sources[field] === 'user' ? user : tenant)[field];
    if (ceiling === null) {
      policy[field] = chosen ?? null;
    } else if (chosen === null || chosen === undefined || chosen > ceiling) {
      policy[field] = ceiling;
      sources[field] = 'platform';
    }
  }
  return { policy: policy as Policy, sources };
}

export function effectivePolicy(config: AppConfig, tenant: StoredPolicy, user: StoredPolicy = {}): Policy {
  return resolvePolicy(config, tenant, user).policy;
}

/**
 * The limits in `changes` above their platform ceiling, as API.md's 400
 * `invalid_request` (a value out of range), one `errors` entry per field.
 */
export function aboveCeiling(config: AppConfig, changes: StoredPolicy): AppError | undefined {
  const errors = ceilingedLimits.flatMap((field) => {
    const value = changes[field];
    const { ceiling } = config.limits.platform[field];
    return typeof value === 'number' && ceiling !== null && value > ceiling
      ? [{ path: `body.${field}`, message: `${value} is above the platform ceiling of ${ceiling}; set at most ${ceiling} (or null for the ceiling itself)` }]
      : [];
  });
  return errors.length === 0 ? undefined : new AppError('invalid_request', 'a limit is above the platform ceiling', { errors });
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
