import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ApiKey } from '../api-keys/api-key.repository.js';
import { ApiKeyCache, apiKeyCacheMs } from './api-key-cache.js';
import { hashApiKeySecret } from './api-key-secret.js';

function keyFor(secret: string, id = `key_${secret}`): ApiKey & { keyHash: Buffer } {
  return {
    id, tenantId: 'ten_1', name: 'k', role: 'app', keyPrefix: 'sbk_', keyLast4: secret.slice(-4), createdAt: new Date(0),
    revokedAt: null, expiresAt: null, lastUsedAt: null, replacedBy: null, keyHash: hashApiKeySecret(secret),
  };
}

test('a key read less than the cache window ago is served; at the window it is read again', () => {
  const cache = new ApiKeyCache();
  let now = 1_000_000;
  cache.now = () => now;
  const key = keyFor('sbk_a');
  cache.put(key);
  assert.equal(cache.get(key.keyHash), key);
  now += apiKeyCacheMs - 1;
  assert.equal(cache.get(key.keyHash), key);
  now += 1;
  assert.equal(cache.get(key.keyHash), undefined, 'a revocation elsewhere is seen within the window');
});

test('forget drops a key changed on this replica at once', () => {
  const cache = new ApiKeyCache();
  const key = keyFor('sbk_b');
  cache.put(key);
  cache.forget(key.id);
  assert.equal(cache.get(key.keyHash), undefined);
});

test('one recorded use per key and minute, kept across re-reads of the key', () => {
  const cache = new ApiKeyCache();
  let now = 60_000 * 1000;
  cache.now = () => now;
  const key = keyFor('sbk_c');
  cache.put(key);
  assert.equal(cache.firstUseThisMinute(key.keyHash), true);
  assert.equal(cache.firstUseThisMinute(key.keyHash), false);
  now += apiKeyCacheMs;
  assert.equal(cache.get(key.keyHash), undefined);
  cache.put(key);
  assert.equal(cache.firstUseThisMinute(key.keyHash), false, 'the re-read key remembers the minute already recorded');
  now += 60_000;
  assert.equal(cache.firstUseThisMinute(key.keyHash), true);
});

test('the cache is bounded: past 10,000 keys the oldest goes', () => {
  const cache = new ApiKeyCache();
  const first = keyFor('sbk_first');
  cache.put(first);
  for (let index = 0; index < 10_000; index++) cache.put(keyFor(`sbk_${index}`));
  assert.equal(cache.get(first.keyHash), undefined);
  assert.ok(cache.get(keyFor('sbk_9999').keyHash));
});

test('an expiry known to be audited stays known across re-reads of the key', () => {
  const cache = new ApiKeyCache();
  let now = 5_000_000;
  cache.now = () => now;
  const key = keyFor('sbk_d');
  cache.put(key);
  assert.equal(cache.expiryAudited(key.keyHash), false);
  cache.markExpiryAudited(key.keyHash);
  now += apiKeyCacheMs;
  cache.put(key);
  assert.equal(cache.expiryAudited(key.keyHash), true);
});
