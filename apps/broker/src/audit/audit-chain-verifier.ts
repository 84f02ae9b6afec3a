import type { AuditKeyring } from './audit-keyring.js';
import { erasureSeal, expectedChainHash, genesisHash, type ChainedAuditEvent } from './audit-log.js';
import type { AuditEventView } from './audit.schemas.js';

export interface ChainVerdict {
  ok: boolean;
  checked: number;
  /** The first event found edited, missing, out of place or unlike a checkpoint. */
  firstBadSeq: number | null;
  reason: string | null;
  /** Signed checkpoints the chain matched. */
  checkpointsMatched: number;
  /** Events 1..N are legacy (chained with plain SHA-256, before keys); null when none are. */
  legacyThroughSeq: number | null;
  /** Whether a signed checkpoint at exactly `legacyThroughSeq` vouches for the legacy events; null when there are none. */
  legacyAnchored: boolean | null;
  /** The first event keyed with a key this broker does not hold: it and every later event went unchecked. */
  uncheckedFromSeq: number | null;
}

/** A signed checkpoint (its signature already checked): the chain must have `hash` at `seq`. */
export interface ChainAnchor {
  seq: number;
  hash: string;
  at: string;
}

/**
 * Walks a tenant's audit events in seq order and checks the chain: seq
 * gap-free from 1, each `prevHash` equal to the previous row's hash, each
 * `hash` recomputed from the row (an HMAC with its key; plain SHA-256 for
 * legacy events), the last row equal to the chain head, and the chain equal
 * to every checkpoint it is given.
 *
 * Without the key, a database writer can only write legacy (unkeyed)
 * events, so those are accepted only as the prefix that existed when keys
 * came in, and only when a checkpoint at its last event (made at the
 * upgrade) vouches for it. Checkpoints catch what no hash can: the newest
 * events deleted and the head moved back onto the last one kept.
 */
export class AuditChainVerifier {
  private expectedSeq = 1;
  private previousHash = genesisHash;
  private checked = 0;
  private lastLegacySeq = 0;
  private anchoredLegacySeq = 0;
  private keyedSeen = false;
  private matched = 0;
  private readonly anchors = new Map<number, ChainAnchor[]>();
  private stopped: Pick<ChainVerdict, 'firstBadSeq' | 'reason' | 'uncheckedFromSeq'> | undefined;

  constructor(private readonly keyring: AuditKeyring) {}

  /** Checkpoints the chain must match; feed each before the event at its seq. */
  expect(anchors: Iterable<ChainAnchor>): void {
    for (const anchor of anchors) {
      if (anchor.seq < this.expectedSeq) throw new Error(`checkpoint at seq ${anchor.seq} fed after its event`);
      this.anchors.set(anchor.seq, [...(this.anchors.get(anchor.seq) ?? []), anchor]);
    }
  }

  /** A stored checkpoint whose signature does not verify: someone forged or altered it in the database. */
  rejectCheckpoint(seq: number): void {
    this.stopped ??= { firstBadSeq: seq, uncheckedFromSeq: null, reason: `the stored checkpoint at seq ${seq} does not carry a valid signature: it was forged or altered` };
  }

  /** Feeds the next row; returns false once the chain is known to be broken or uncheckable. */
  accept(event: AuditEventView): boolean {
    if (this.stopped) return false;
    if (event.seq !== this.expectedSeq) return this.fail(this.expectedSeq, event.seq > this.expectedSeq ? 'missing' : 'out of order');
    if (event.prevHash !== this.previousHash) return this.fail(event.seq, 'does not link to the previous event');
    if (event.keyId === null && this.keyedSeen) return this.fail(event.seq, 'is unkeyed after keyed events: no broker holding the key wrote it');
    const content = this.contentProblem(event);
    if (content?.unknownKey) {
      const keyId = event.erasure?.keyId ?? event.keyId;
      this.stopped = {
        firstBadSeq: null,
        uncheckedFromSeq: event.seq,
        reason: `event ${event.seq} is ${event.erasure ? 'sealed' : 'keyed'} with "${keyId}", a key this broker does not hold: it and the events after it were not checked (list that key in SWITCHBOARD_AUDIT_KEYS)`,
      };
      return false;
    }
    if (content) return this.fail(event.seq, content.bad);
    if (event.keyId === null) this.lastLegacySeq = event.seq;
    else this.keyedSeen = true;
    for (const anchor of this.anchors.get(event.seq) ?? []) {
      if (anchor.hash !== event.hash) return this.fail(event.seq, `does not match the checkpoint signed at ${anchor.at}: the chain was rewritten at or before it`);
      this.matched++;
      if (event.keyId === null) this.anchoredLegacySeq = event.seq;
    }
    this.anchors.delete(event.seq);
    this.previousHash = event.hash;
    this.expectedSeq++;
    this.checked++;
    return true;
  }

  /**
   * Whether the row is as chained: its hash recomputed from its content, or,
   * once a user was erased from it, its erasure seal (the content the hash
   * covered is gone; the seal covers what replaced it and that hash).
   */
  private contentProblem(event: AuditEventView): { unknownKey: true; bad?: undefined } | { unknownKey?: undefined; bad: string } | undefined {
    if (event.erasure) {
      const key = this.keyring.find(event.erasure.keyId);
      if (!key) return { unknownKey: true };
      const sealed = erasureSeal(key, { ...toChained(event), hash: event.hash }, event.erasure.at) === event.erasure.seal;
      return sealed ? undefined : { bad: 'was changed after a user was erased from it: it does not match its erasure seal' };
    }
    const expected = expectedChainHash(toChained(event), this.keyring);
    if (expected === undefined) return { unknownKey: true };
    return expected === event.hash ? undefined : { bad: 'its content does not match its hash' };
  }

  /** The verdict once every row was fed; `head` is the stored chain head (undefined for a tenant with no events). */
  finish(head: { lastSeq: number; lastHash: string } | undefined): ChainVerdict {
    if (!this.stopped) this.stopped = this.endProblem(head);
    const legacy = this.lastLegacySeq > 0;
    const problem = this.stopped ?? (legacy && this.anchoredLegacySeq !== this.lastLegacySeq ? this.unanchoredLegacy() : undefined);
    return {
      ok: problem === undefined,
      checked: this.checked,
      firstBadSeq: problem?.firstBadSeq ?? null,
      reason: problem?.reason ?? null,
      checkpointsMatched: this.matched,
      legacyThroughSeq: legacy ? this.lastLegacySeq : null,
      legacyAnchored: legacy ? this.anchoredLegacySeq === this.lastLegacySeq : null,
      uncheckedFromSeq: problem?.uncheckedFromSeq ?? null,
    };
  }

  /** Events missing at the end: fewer than the head says, or than a checkpoint vouched for. */
  private endProblem(head: { lastSeq: number; lastHash: string } | undefined): AuditChainVerifier['stopped'] {
    const lastSeq = this.expectedSeq - 1;
    if ((head?.lastSeq ?? 0) > lastSeq) return this.problem(lastSeq + 1, 'missing (the newest events were removed)');
    if (head && head.lastSeq === lastSeq && head.lastHash !== this.previousHash) return this.problem(lastSeq, 'does not match the chain head');
    const beyond = [...this.anchors.values()].flat().sort((a, b) => a.seq - b.seq)[0];
    if (beyond) return this.problem(lastSeq + 1, `missing: the checkpoint signed at ${beyond.at} vouches for seq ${beyond.seq}, past the end of the chain`);
    return undefined;
  }

  private unanchoredLegacy(): NonNullable<AuditChainVerifier['stopped']> {
    return {
      firstBadSeq: null,
      uncheckedFromSeq: null,
      reason:
        `events 1-${this.lastLegacySeq} carry the legacy unkeyed hash and no signed checkpoint at seq ${this.lastLegacySeq} vouches for them, ` +
        'so a rewrite of them cannot be told from the original (legacy chains are anchored when the keyed-chain migration is applied)',
    };
  }

  private fail(seq: number, reason: string): false {
    this.stopped = this.problem(seq, reason);
    return false;
  }

  private problem(seq: number, reason: string): NonNullable<AuditChainVerifier['stopped']> {
    return { firstBadSeq: seq, uncheckedFromSeq: null, reason: `event ${seq} ${reason}` };
  }
}

/** The hashed form of a stored event (the view without its hash). */
export function toChained(event: AuditEventView): ChainedAuditEvent {
  return {
    id: event.id,
    seq: event.seq,
    at: event.at,
    type: event.type,
    tenant: event.tenant,
    user: event.user,
    actor: event.actor,
    session: event.session,
    provider: event.provider,
    providerSession: event.providerSession,
    requestId: event.requestId,
    detail: event.detail,
    keyId: event.keyId,
    ...(event.http ? { http: event.http } : {}),
    prevHash: event.prevHash,
  };
}
