import type { Transaction } from '#libs/persistence';
import { toChained } from './audit-chain-verifier.js';
import { AuditEventRepository } from './audit-event.repository.js';
import { auditKeyringOf } from './audit-keyring.js';
import { erasureSeal } from './audit-log.js';

/** `value` with every occurrence of `userId` in its strings replaced by `pseudonym`, at any depth. */
function replaceUser(value: unknown, userId: string, pseudonym: string): unknown {
  if (typeof value === 'string') return value.split(userId).join(pseudonym);
  if (Array.isArray(value)) return value.map((item) => replaceUser(item, userId, pseudonym));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, member]) => [key, replaceUser(member, userId, pseudonym)]));
  }
  return value;
}

/**
 * Replaces a user with their pseudonym in every audit event of the tenant
 * that names them, inside the caller's transaction: the user column and
 * every mention in the detail. Each event keeps its hash (so the chain,
 * its head and every checkpoint stay as they were) and gets a seal with
 * the current audit key over its new form and that hash (see
 * `erasureSeal`). Returns how many events were erased.
 */
export async function eraseUserFromAudit(tx: Transaction, tenantId: string, userId: string, pseudonym: string, at: Date): Promise<number> {
  const key = auditKeyringOf(tx).current;
  const events = new AuditEventRepository(tx);
  const named = await events.naming(tenantId, userId);
  for (const event of named) {
    const erased = { ...event, user: event.user === userId ? pseudonym : event.user, detail: replaceUser(event.detail, userId, pseudonym) as Record<string, unknown> };
    const erasedAt = at.toISOString();
    await events.storeErased({ ...erased, erasure: { at: erasedAt, keyId: key.id, seal: erasureSeal(key, { ...toChained(erased), hash: event.hash }, erasedAt) } });
  }
  return named.length;
}
