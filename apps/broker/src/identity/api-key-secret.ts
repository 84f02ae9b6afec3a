import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export const apiKeyPrefix = 'sbk_';

/** A new secret: `sbk_` + 32 random bytes, base64url. */
export function mintApiKeySecret(): string {
  return apiKeyPrefix + randomBytes(32).toString('base64url');
}

/**
 * SHA-256 of the secret. A fast hash is right here: the secret carries 256
 * bits of entropy, so there is nothing for a slow hash to protect against,
 * and every request pays for the hash.
 */
export function hashApiKeySecret(secret: string): Buffer {
  return createHash('sha256').update(secret, 'utf8').digest();
}

export function sameHash(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * What is stored of a new key: the hash it is checked against, and what may
 * be shown of it afterwards to recognise it — the public `sbk_` prefix and
 * the last four characters (24 of its 256 random bits, as card and cloud
 * key listings show). The key id names a key; these only help a human match
 * a secret they hold, or one found in a leak, to it.
 */
export function storedFormOf(secret: string): { keyHash: Buffer; keyPrefix: string; keyLast4: string } {
  return { keyHash: hashApiKeySecret(secret), keyPrefix: apiKeyPrefix, keyLast4: secret.slice(-4) };
}
