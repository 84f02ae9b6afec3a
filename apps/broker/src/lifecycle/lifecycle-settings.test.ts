import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '#libs/config';
import { lifecycleThresholds, lostTurnMarginMs, providerCallBoundMs, providerCallMarginMs } from './lifecycle-settings.js';

test('a provisioning session is stuck only after the longest provider call, retries and backoff included', () => {
  const config = loadConfig({ PROVIDER_CALL_TIMEOUT_MS: '30000', PROVIDER_MAX_RETRIES: '2', PROVIDER_RETRY_BASE_MS: '250' });
  // 3 attempts of 30 s, and two waits capped by the 30 s Retry-After cap.
  assert.equal(providerCallBoundMs(config.runtimes), 3 * 30_000 + 2 * 30_000);
  assert.equal(lifecycleThresholds(config).provisioningStuckAfterMs, 150_000 + providerCallMarginMs);
});

test('an exponential backoff longer than the Retry-After cap counts in full', () => {
  const config = loadConfig({ PROVIDER_CALL_TIMEOUT_MS: '1000', PROVIDER_MAX_RETRIES: '2', PROVIDER_RETRY_BASE_MS: '40000' });
  assert.equal(providerCallBoundMs(config.runtimes), 3 * 1000 + 40_000 + 80_000);
});

test('a turn claim is lost after the turn timeout plus the takeover margin', () => {
  const config = loadConfig({ TURN_TIMEOUT_MS: '600000', PROVIDER_MAX_RETRIES: '0', PROVIDER_CALL_TIMEOUT_MS: '1000' });
  const thresholds = lifecycleThresholds(config);
  assert.equal(thresholds.turnLostAfterMs, 600_000 + lostTurnMarginMs);
  assert.equal(thresholds.stopRetryAfterMs, 1000 + providerCallMarginMs);
});
