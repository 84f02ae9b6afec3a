import { createHash } from 'node:crypto';
import { hotStatement, runHot } from '#libs/persistence';
import type { EntityManager } from 'typeorm';
import { newId } from '#libs/ids';
import { currentRequestContext } from '#libs/request-context';
import { canonicalJson } from './canonical-json.js';

export const auditEventTypes = [
  'session.bound',
  'session.accessed',
  'session.terminated',
  'access.denied',
  'limit.denied',
  'credential.created',
  'credential.revoked',
  'limits.changed',
  'agent.changed',
  'tenant.created',
] as const;
export type AuditEventType = (typeof auditEventTypes)[number];

export type AuditActor = { kind: 'api_key' | 'jwt' | 'operator' | 'system'; id: string | null };

/** What a caller states about an event; the log adds id, seq, time, actor and chain. */
export interface AuditEventInput {
  type: AuditEventType;
  user?: string | null;
  session?: string | null;
  provider?: string | null;
  providerSession?: string | null;
  detail?: Record<string, unknown>;
  /** Defaults to the current request's credential, or `system` outside a request. */
  actor?: AuditActor;
}

export const genesisHash = '0'.repeat(64);

/** The fields the hash covers, in the public shape of API.md §6. */
export interface ChainedAuditEvent {
  id: string;
  seq: number;
  at: string;
  type: string;
  tenant: string;
  user: string | null;
  actor: AuditActor;
  session: string | null;
  provider: string | null;
  providerSession: string | null;
  requestId: string | null;
  detail: Record<string, unknown>;
  prevHash: string;
}

/** `hash = SHA-256(prevHash ‖ canonical JSON of the event without its hash)`. */
export function chainHash(event: ChainedAuditEvent): string {
  const { prevHash, ...rest } = event;
  return createHash('sha256').update(prevHash).update(canonicalJson(rest)).digest('hex');
}

function actorFromContext(): AuditActor {
  const principal = currentRequestContext()?.principal;
  if (!principal) return { kind: 'system', id: null };
  return { kind: principal.credential.kind === 'operator_key' ? 'operator' : principal.credential.kind, id: principal.credential.id };
}

const lockChainHeadStatement = hotStatement(
  'lock_audit_chain_head',
  `INSERT INTO audit_chain_heads (tenant_id, last_seq, last_hash) VALUES ($1, 0, $2)
   ON CONFLICT (tenant_id) DO UPDATE SET last_seq = audit_chain_heads.last_seq
   RETURNING last_seq, last_hash, last_at`,
);

const appendEventStatement = hotStatement(
  'append_audit_event',
  `WITH appended AS (
     INSERT INTO audit_events (tenant_id, seq, id, at, type, user_id, actor_kind, actor_id, session_id, provider,
       provider_session_id, request_id, detail, prev_hash, hash)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
   )
   UPDATE audit_chain_heads SET last_seq = $2, last_hash = $15, last_at = $4 WHERE tenant_id = $1`,
);

/**
 * Appends an event to a tenant's hash-chained audit log, inside the caller's
 * transaction, so the record commits or rolls back with the change it
 * describes. The chain head row is locked (`FOR UPDATE`) for the rest of the
 * transaction: appends of one tenant serialize across every replica, keeping
 * `seq` gap-free and the chain linear.
 */
export async function appendAuditEvent(manager: EntityManager, tenantId: string, input: AuditEventInput): Promise<ChainedAuditEvent & { hash: string }> {
  // Creates the head on a tenant's first event, else locks it (the no-op
  // update takes the row lock) and reads it: one round trip either way.
  const [head] = await runHot<{ last_seq: string; last_hash: string; last_at: Date | null }>(manager, lockChainHeadStatement, [tenantId, genesisHash]);
  // Never before the previous event, so time order is seq order (replica clocks drift).
  const at = new Date(Math.max(Date.now(), head.last_at?.getTime() ?? 0));
  const context = currentRequestContext();
  const event: ChainedAuditEvent = {
    id: newId('aud'),
    seq: Number(head.last_seq) + 1,
    at: at.toISOString(),
    type: input.type,
    tenant: tenantId,
    user: input.user ?? null,
    actor: input.actor ?? actorFromContext(),
    session: input.session ?? null,
    provider: input.provider ?? null,
    providerSession: input.providerSession ?? null,
    requestId: context?.requestId ?? null,
    detail: input.detail ?? {},
    prevHash: head.last_hash,
  };
  const hash = chainHash(event);
  await runHot(manager, appendEventStatement, [
    tenantId, event.seq, event.id, event.at, event.type, event.user, event.actor.kind, event.actor.id, event.session,
    event.provider, event.providerSession, event.requestId, JSON.stringify(event.detail), event.prevHash, hash,
  ]);
  return { ...event, hash };
}
