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

/** What is safe to show of a key after creation: its first characters. */
export function displayPrefix(secret: string): string {
  return secret.slice(0, 12);
}
