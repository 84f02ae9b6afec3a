import { chainHash, genesisHash, type ChainedAuditEvent } from './audit-log.js';
import type { AuditEventView } from './audit.schemas.js';

export interface ChainVerdict {
  ok: boolean;
  checked: number;
  firstBadSeq: number | null;
  reason: string | null;
}

/**
 * Walks a tenant's audit events in seq order and checks the hash chain:
 * seq gap-free from 1, each `prevHash` equal to the previous row's hash,
 * each `hash` recomputed from the row, and the last row equal to the chain
 * head (so deleting the newest rows is caught too). An edited row fails its
 * hash; a deleted one leaves a gap; rows swapped or inserted break seq or
 * the links. The first bad seq is named.
 */
export class AuditChainVerifier {
  private expectedSeq = 1;
  private previousHash = genesisHash;
  private checked = 0;
  private verdict: ChainVerdict | undefined;

  /** Feeds the next row; returns false once the chain is known to be broken. */
  accept(event: AuditEventView): boolean {
    if (this.verdict) return false;
    if (event.seq !== this.expectedSeq) return this.fail(this.expectedSeq, event.seq > this.expectedSeq ? 'missing' : 'out of order');
    if (event.prevHash !== this.previousHash) return this.fail(event.seq, 'does not link to the previous event');
    const recomputed = chainHash(toChained(event));
    if (recomputed !== event.hash) return this.fail(event.seq, 'its content does not match its hash');
    this.previousHash = event.hash;
    this.expectedSeq++;
    this.checked++;
    return true;
  }

  /** The verdict once every row was fed; `head` is the stored chain head (undefined for a tenant with no events). */
  finish(head: { lastSeq: number; lastHash: string } | undefined): ChainVerdict {
    if (this.verdict) return this.verdict;
    const lastSeq = this.expectedSeq - 1;
    if ((head?.lastSeq ?? 0) > lastSeq) return this.failed(lastSeq + 1, 'missing (the newest events were removed)');
    if (head && head.lastSeq === lastSeq && head.lastHash !== this.previousHash) return this.failed(lastSeq, 'does not match the chain head');
    return { ok: true, checked: this.checked, firstBadSeq: null, reason: null };
  }

  private fail(seq: number, reason: string): false {
    this.verdict = this.failed(seq, reason);
    return false;
  }

  private failed(seq: number, reason: string): ChainVerdict {
    return { ok: false, checked: this.checked, firstBadSeq: seq, reason: `event ${seq} ${reason}` };
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
    prevHash: event.prevHash,
  };
}
