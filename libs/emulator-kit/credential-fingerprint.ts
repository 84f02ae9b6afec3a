import { createHash } from 'node:crypto';

/**
 * How an emulator names a credential it was called with in its stats
 * (`credential <fingerprint>`): the first 12 hex digits of its SHA-256, so a
 * test can check which identity's key or token reached the provider while
 * the emulator keeps no secret.
 */
export function credentialFingerprint(secret: string): string {
  return createHash('sha256').update(secret).digest('hex').slice(0, 12);
}

/** The stats operation counting calls made with a credential. */
export const credentialStat = (secret: string): string => `credential ${credentialFingerprint(secret)}`;
