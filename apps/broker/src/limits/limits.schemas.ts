import { z } from 'zod';
import { userIdSchema } from '../identity/user-id.js';

export const isolationLevels = ['any', 'sandbox', 'vm', 'microvm'] as const;
export type IsolationLevel = (typeof isolationLevels)[number];

const money = z.string().regex(/^\d{1,12}(\.\d{1,10})?$/, 'a decimal amount in USD, as a string ("50", "0.25")');
const count = z.number().int().min(0).max(10_000_000);

/** Every field nullable: null means "no limit" (for timeouts: the broker default). */
const policyFields = {
  maxActiveSessionsPerUser: count.nullable(),
  maxActiveSessionsPerTenant: count.nullable(),
  sessionCreatesPerMinutePerUser: count.nullable(),
  turnsPerMinutePerUser: count.nullable(),
  idleTimeoutSeconds: z.number().int().min(60).max(2_592_000).nullable(),
  maxLifetimeSeconds: z.number().int().min(60).max(2_592_000).nullable(),
  monthlyBudgetUsdPerUser: money.nullable(),
  monthlyBudgetUsdPerTenant: money.nullable(),
  requiredIsolation: z.enum(isolationLevels).nullable(),
};

/** A PUT body: fields sent replace, fields omitted stay, null removes the limit. */
export const policyUpdate = z.strictObject(Object.fromEntries(Object.entries(policyFields).map(([key, schema]) => [key, schema.optional()])) as {
  [K in keyof typeof policyFields]: z.ZodOptional<(typeof policyFields)[K]>;
});
export type PolicyUpdate = z.infer<typeof policyUpdate>;

export const policyView = z.object(policyFields);
export type Policy = z.infer<typeof policyView>;

export const effectivePolicyView = z.object({
  user: z.string(),
  policy: policyView,
  /** Which fields this user's override sets. */
  overrides: z.array(z.string()),
  usage: z.object({
    activeSessions: z.number().int(),
    sessionCreatesThisMinute: z.number().int(),
    turnsThisMinute: z.number().int(),
    monthSpentUsd: z.string(),
    monthReservedUsd: z.string(),
  }),
});
export type EffectivePolicyView = z.infer<typeof effectivePolicyView>;

export const userIdParams = z.strictObject({ userId: userIdSchema });
