import { Injectable } from '@nestjs/common';
import type { ApiKey } from '../api-keys/api-key.repository.js';

/**
 * How long a replica may go on trusting what it read of a key. API.md §1:
 * an expired, rotated-out or revoked key is refused on every replica
 * within 1 s. Expiry is checked on every use against the cached expiry, so
 * only a revocation (or a rotation shortening the expiry) made on another
 * replica waits for this; one made here is forgotten at once.
 */
export const apiKeyCacheMs = 1000;

/** Beyond this many keys the oldest entry is dropped (a replica serves a tenant's handful of keys each). */
const maxEntries = 10_000;

interface Entry {
  key: ApiKey & { keyHash: Buffer };
  readAt: number;
  /** The minute whose use this replica has recorded already. */
  usedMinute: number;
  /** Its expiry's first refusal is audited (by this replica or another): later refusals cost no database work. */
  expiryAudited: boolean;
}

/**
 * Keys as recently read, by the hex of their hash, so that a request does
 * not pay a database round trip to authenticate. Unknown secrets are not
 * cached: every guess is looked up, and nothing a guesser sends can evict
 * a real key.
 */
@Injectable()
export class ApiKeyCache {
  private readonly entries = new Map<string, Entry>();
  /** The clock (tests move it). */
  now: () => number = Date.now;

  /** The key, when it was read less than {@link apiKeyCacheMs} ago. */
  get(hash: Buffer): (ApiKey & { keyHash: Buffer }) | undefined {
    const id = hash.toString('hex');
    const entry = this.entries.get(id);
    // A stale entry stays (it remembers the minute of the last recorded use) until the key is read again.
    if (!entry || this.now() - entry.readAt >= apiKeyCacheMs) return undefined;
    return entry.key;
  }

  put(key: ApiKey & { keyHash: Buffer }): void {
    const id = key.keyHash.toString('hex');
    const previous = this.entries.get(id);
    this.entries.delete(id);
    this.entries.set(id, { key, readAt: this.now(), usedMinute: previous?.usedMinute ?? 0, expiryAudited: previous?.expiryAudited ?? false });
    if (this.entries.size > maxEntries) this.entries.delete(this.entries.keys().next().value!);
  }

  /** Whether this replica knows the key's expiry is audited already. */
  expiryAudited(hash: Buffer): boolean {
    return this.entries.get(hash.toString('hex'))?.expiryAudited ?? false;
  }

  markExpiryAudited(hash: Buffer): void {
    const entry = this.entries.get(hash.toString('hex'));
    if (entry) entry.expiryAudited = true;
  }

  /** A key changed on this replica (revoked, rotated): the next request reads it again. */
  forget(keyId: string): void {
    for (const [id, entry] of this.entries) if (entry.key.id === keyId) this.entries.delete(id);
  }

  /**
   * Whether this use is the key's first in the current minute on this
   * replica: `lastUsedAt` has minute precision, so one write per minute
   * says all there is to say.
   */
  firstUseThisMinute(hash: Buffer): boolean {
    const entry = this.entries.get(hash.toString('hex'));
    const minute = Math.floor(this.now() / 60_000);
    if (!entry || entry.usedMinute === minute) return !entry;
    entry.usedMinute = minute;
    return true;
  }
}
