import { platformLimitSettings } from '#libs/config';

/**
 * No platform ceilings: the test brokers' default, so suites that create
 * many sessions for one user (or run many turns a minute) test what they
 * mean to test. Tests of the ceilings themselves start with
 * `realPlatformLimits` (the shipped defaults) instead.
 */
export const generousPlatformLimits: Record<string, string> = Object.fromEntries([
  ...platformLimitSettings.map(([, suffix]) => [`LIMIT_CEILING_${suffix}`, 'none']),
  ['LIMIT_MAX_OPEN_STREAMS_PER_REPLICA', 'none'],
]);

/** Every platform limit back to its shipped default (an empty setting is unset). */
export const realPlatformLimits: Record<string, string> = Object.fromEntries(Object.keys(generousPlatformLimits).map((key) => [key, '']));
