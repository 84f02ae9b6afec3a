import type { AuditKey, AuditKeyring } from './audit-keyring.js';
import { canonicalJson } from './canonical-json.js';

/**
 * A signed statement that a tenant's audit chain had `hash` at `seq`, made
 * at `at` with the Ed25519 key of `keyId`. Once a copy leaves the database
 * (the log, an auditor, an export), no rewrite of the chain up to `seq` can
 * match it, whatever is done to the database afterwards.
 */
export interface AuditCheckpoint {
  tenant: string;
  seq: number;
  hash: string;
  at: string;
  keyId: string;
  /** Ed25519 over {@link checkpointPayload}, base64url. */
  signature: string;
}

/**
 * The signed bytes: the canonical JSON (keys sorted, no whitespace) of
 * `{at, hash, keyId, seq, tenant}`, so any verifier can rebuild them.
 */
export function checkpointPayload(checkpoint: Omit<AuditCheckpoint, 'signature'>): string {
  const { tenant, seq, hash, at, keyId } = checkpoint;
  return canonicalJson({ tenant, seq, hash, at, keyId });
}

export function signCheckpoint(key: AuditKey, head: { tenant: string; seq: number; hash: string }, at: Date): AuditCheckpoint {
  const unsigned = { tenant: head.tenant, seq: head.seq, hash: head.hash, at: at.toISOString(), keyId: key.id };
  return { ...unsigned, signature: key.sign(checkpointPayload(unsigned)) };
}

/** `unknown_key`: signed with a key this broker does not hold (it cannot tell). */
export type CheckpointSignature = 'valid' | 'invalid' | 'unknown_key';

export function checkpointSignature(keyring: AuditKeyring, checkpoint: AuditCheckpoint): CheckpointSignature {
  const key = keyring.find(checkpoint.keyId);
  if (!key) return 'unknown_key';
  return key.verifies(checkpointPayload(checkpoint), checkpoint.signature) ? 'valid' : 'invalid';
}
