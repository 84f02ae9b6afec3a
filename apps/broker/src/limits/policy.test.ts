import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '#libs/config';
import { aboveCeiling, resolvePolicy } from './policy.js';

const shipped = loadConfig({});

test('nothing stored: the platform defaults, from the platform', () => {
  const { policy, sources } = resolvePolicy(shipped, {});
  assert.equal(policy.maxActiveSessionsPerUser, 20);
  assert.equal(policy.maxActiveSessionsPerTenant, 500);
  assert.equal(policy.sessionCreatesPerMinutePerUser, 60);
  assert.equal(policy.turnsPerMinutePerUser, 120);
  assert.equal(policy.maxOpenStreamsPerTenant, 200);
  assert.equal(policy.monthlyBudgetUsdPerUser, null, 'budgets have no platform default');
  assert.equal(sources.maxActiveSessionsPerUser, 'platform');
  assert.equal(sources.idleTimeoutSeconds, 'platform');
});

test('a value stored above the ceiling (before the operator lowered it) is held to the ceiling', () => {
  const { policy, sources } = resolvePolicy(shipped, { maxActiveSessionsPerUser: 80, turnsPerMinutePerUser: 30 }, { turnsPerMinutePerUser: 500 });
  assert.equal(policy.maxActiveSessionsPerUser, 20);
  assert.equal(sources.maxActiveSessionsPerUser, 'platform');
  assert.equal(policy.turnsPerMinutePerUser, 120, "the user's override is capped too");
  assert.equal(sources.turnsPerMinutePerUser, 'platform');
});

test('null is "no limit of this layer\'s own": the ceiling; a tighter value wins; the user override beats the tenant', () => {
  const { policy, sources } = resolvePolicy(shipped, { maxActiveSessionsPerUser: null, maxActiveSessionsPerTenant: 50, idleTimeoutSeconds: null }, { maxActiveSessionsPerTenant: 40 });
  assert.equal(policy.maxActiveSessionsPerUser, 20);
  assert.equal(sources.maxActiveSessionsPerUser, 'platform');
  assert.equal(policy.maxActiveSessionsPerTenant, 40);
  assert.equal(sources.maxActiveSessionsPerTenant, 'user');
  assert.equal(policy.idleTimeoutSeconds, 900);
  assert.equal(sources.idleTimeoutSeconds, 'platform');
});

test('an operator default below the ceiling applies until the tenant sets up to the ceiling', () => {
  const config = loadConfig({ LIMIT_DEFAULT_ACTIVE_SESSIONS_PER_USER: '5', LIMIT_CEILING_ACTIVE_SESSIONS_PER_USER: '50' });
  assert.equal(resolvePolicy(config, {}).policy.maxActiveSessionsPerUser, 5);
  assert.equal(resolvePolicy(config, { maxActiveSessionsPerUser: 50 }).policy.maxActiveSessionsPerUser, 50);
  assert.equal(aboveCeiling(config, { maxActiveSessionsPerUser: 50 }), undefined);
  assert.equal(aboveCeiling(config, { maxActiveSessionsPerUser: 51 })?.code, 'invalid_request');
});

test('ceiling none: the tenant may set anything, and null is no limit at all', () => {
  const config = loadConfig({ LIMIT_CEILING_TURNS_PER_MINUTE_PER_USER: 'none' });
  assert.equal(resolvePolicy(config, {}).policy.turnsPerMinutePerUser, null);
  assert.equal(resolvePolicy(config, { turnsPerMinutePerUser: 10_000 }).policy.turnsPerMinutePerUser, 10_000);
  assert.equal(aboveCeiling(config, { turnsPerMinutePerUser: 10_000 }), undefined);
});
