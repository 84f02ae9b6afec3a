import { z } from 'zod';
import { userIdSchema } from '../identity/user-id.js';

export const isolationLevels = ['any', 'sandbox', 'vm', 'microvm'] as const;
export type IsolationLevel = (typeof isolationLevels)[number];

const money = z.string().regex(/^\d{1,12}(\.\d{1,10})?$/, 'a decimal amount in USD, as a string ("50", "0.25")');
const count = z.number().int().min(0).max(10_000_000);

/**
 * Every field nullable: null means "no limit" — for the fields the platform
 * caps, no limit beyond the platform ceiling; for timeouts, the broker default.
 */
const policyFields = {
  maxActiveSessionsPerUser: count.nullable(),
  maxActiveSessionsPerTenant: count.nullable(),
  sessionCreatesPerMinutePerUser: count.nullable(),
  turnsPerMinutePerUser: count.nullable(),
  maxOpenStreamsPerTenant: count.nullable(),
  idleTimeoutSeconds: z.number().int().min(60).max(2_592_000).nullable(),
  maxLifetimeSeconds: z.number().int().min(60).max(2_592_000).nullable(),
  monthlyBudgetUsdPerUser: money.nullable(),
  monthlyBudgetUsdPerTenant: money.nullable(),
  requiredIsolation: z.enum(isolationLevels).nullable(),
  transcriptRetentionDays: z
    .number()
    .int()
    .min(1)
    .max(36_500)
    .nullable()
    .describe('Transcript content older than this many days is purged daily (the tenant policy\'s value counts; null keeps it)'),
  /** Percent of each monthly budget (user and tenant) whose crossing is announced once per month as the webhook event `budget.threshold_crossed`. */
  budgetAlertThresholds: z
    .array(z.number().int().min(1).max(1000))
    .max(10)
    .refine((thresholds) => new Set(thresholds).size === thresholds.length, { message: 'must not repeat a threshold' })
    .nullable(),
};

export const policyLayers = ['user', 'tenant', 'platform'] as const;
export type PolicyLayer = (typeof policyLayers)[number];

/** Which layer each effective value comes from: the user's override, the tenant policy, or the platform (default or ceiling). */
const policySources = z.object(Object.fromEntries(Object.keys(policyFields).map((key) => [key, z.enum(policyLayers)])) as {
  [K in keyof typeof policyFields]: z.ZodEnum<{ [L in PolicyLayer]: L }>;
});
export type PolicySources = z.infer<typeof policySources>;

const platformLimit = z.object({ default: z.number().int().nullable(), ceiling: z.number().int().nullable() });
/** The operator's limits, as a tenant admin sees them (null: none). */
export const platformLimitsView = z.object({
  maxActiveSessionsPerUser: platformLimit,
  maxActiveSessionsPerTenant: platformLimit,
  sessionCreatesPerMinutePerUser: platformLimit,
  turnsPerMinutePerUser: platformLimit,
  maxOpenStreamsPerTenant: platformLimit,
  maxOpenStreamsPerReplica: z.number().int().nullable(),
}).meta({ id: 'PlatformLimits' });

/**
 * A PUT body: fields sent replace, fields omitted stay, null removes the
 * limit. `sources` and `platform` are read-only and ignored, so a GET's body
 * can be sent back as it is.
 */
export const policyUpdate = z.strictObject({
  ...(Object.fromEntries(Object.entries(policyFields).map(([key, schema]) => [key, schema.optional()])) as {
    [K in keyof typeof policyFields]: z.ZodOptional<(typeof policyFields)[K]>;
  }),
  sources: z.unknown().optional(),
  platform: z.unknown().optional(),
}).meta({ id: 'PolicyUpdate' });
export type PolicyUpdate = Omit<z.infer<typeof policyUpdate>, 'sources' | 'platform'>;

export const policyView = z.object(policyFields);
export type Policy = z.infer<typeof policyView>;

/** GET/PUT /v1/limits: the tenant's effective policy, where each value comes from, and the platform's limits. */
export const tenantPolicyView = policyView.extend({ sources: policySources, platform: platformLimitsView }).meta({ id: 'TenantPolicy' });
export type TenantPolicyView = z.infer<typeof tenantPolicyView>;

export const effectivePolicyView = z.object({
  user: z.string(),
  policy: policyView,
  sources: policySources,
  /** Which fields this user's override sets. */
  overrides: z.array(z.string()),
  usage: z.object({
    activeSessions: z.number().int(),
    sessionCreatesThisMinute: z.number().int(),
    turnsThisMinute: z.number().int(),
    monthSpentUsd: z.string(),
    monthReservedUsd: z.string(),
  }),
}).meta({ id: 'EffectivePolicy' });
export type EffectivePolicyView = z.infer<typeof effectivePolicyView>;

export const userIdParams = z.strictObject({ userId: userIdSchema });
