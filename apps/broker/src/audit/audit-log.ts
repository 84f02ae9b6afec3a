import { createHash } from 'node:crypto';
import { hotStatement, type Transaction } from '#libs/persistence';
import { newId } from '#libs/ids';
import { currentRequestContext, type RequestHttp } from '#libs/request-context';
import { auditKeyringOf, type AuditKey, type AuditKeyring } from './audit-keyring.js';
import { canonicalJson } from './canonical-json.js';
import { nudgeDeliveriesAfterCommit, queueAuditDeliveriesSql } from '../webhooks/webhook-outbox.js';

export const auditEventTypes = [
  'session.bound',
  'session.accessed',
  'session.terminated',
  'access.denied',
  'limit.denied',
  'credential.created',
  'credential.revoked',
  'credential.rotated',
  'credential.expired',
  'limits.changed',
  'agent.changed',
  'tenant.created',
  'target.granted',
  'target.revoked',
  'target.denied',
  'approval.decided',
  'user.erased',
  'webhook.changed',
  'webhook.disabled',
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
  /**
   * The HTTP status the request answers with this event. Defaults to the
   * route's success status; a denial states the refusal's (a denied lookup
   * is answered 404 by design, so that is its default).
   */
  status?: number;
}

/** The HTTP operation an event was recorded in, and the caller's address as the broker saw it. */
export interface AuditHttp {
  method: string;
  route: string;
  operationId: string;
  status: number;
  clientIp: string | null;
  clientPort: number | null;
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
  /** The audit key that chained the event; null for a legacy event (chained before keys, with plain SHA-256). */
  keyId: string | null;
  /** Absent (not null) outside a request and before it was recorded, so older events keep their hash. */
  http?: AuditHttp;
  prevHash: string;
}

/**
 * `hash = HMAC-SHA256(chain key of keyId, prevHash ‖ canonical JSON of the
 * event without its hash)`: only a holder of the key can chain an event.
 */
export function keyedChainHash(key: AuditKey, event: ChainedAuditEvent): string {
  const { prevHash, ...rest } = event;
  return key.mac(prevHash, canonicalJson(rest));
}

/**
 * The legacy formula of events from before keyed chains (`keyId` null):
 * `SHA-256(prevHash ‖ canonical JSON of the event without hash and keyId)`.
 * Anyone can recompute it, so it proves nothing against a database writer.
 */
export function legacyChainHash(event: ChainedAuditEvent): string {
  const { prevHash, keyId: _keyId, ...rest } = event;
  return createHash('sha256').update(prevHash).update(canonicalJson(rest)).digest('hex');
}

/** The seal of an event a user was erased from (see {@link erasureSeal}). */
export interface AuditErasure {
  at: string;
  keyId: string;
  seal: string;
}

/**
 * An erased event's seal: HMAC-SHA256 (the chain key of `key`) over the
 * event as it reads after erasure (pseudonyms in place of the user) together
 * with its original `hash` and `prevHash`, and the erasure's time. The hash
 * still links the chain (and matches every checkpoint), but it can no longer
 * be recomputed from the content, which is gone; the seal vouches that the
 * broker, holding the key, replaced only the user and nothing else. A
 * database writer without the key can neither seal an edit nor move a seal
 * to another event (it covers id, seq and both hashes).
 */
export function erasureSeal(key: AuditKey, event: ChainedAuditEvent & { hash: string }, at: string): string {
  return key.mac('switchboard audit erasure seal v1\n', canonicalJson({ event, erasedAt: at }));
}

/** The hash an event must carry, or undefined when its key is not in the keyring (it cannot be checked here). */
export function expectedChainHash(event: ChainedAuditEvent, keyring: AuditKeyring): string | undefined {
  if (event.keyId === null) return legacyChainHash(event);
  const key = keyring.find(event.keyId);
  return key && keyedChainHash(key, event);
}

function httpOf(request: RequestHttp, input: AuditEventInput): AuditHttp {
  const status = input.status ?? (input.type === 'access.denied' ? 404 : request.successStatus);
  return { method: request.method, route: request.route, operationId: request.operationId, status, clientIp: request.clientIp, clientPort: request.clientPort };
}

function actorFromContext(): AuditActor {
  const principal = currentRequestContext()?.principal;
  if (!principal) return { kind: 'system', id: null };
  return { kind: principal.credential.kind === 'operator_key' ? 'operator' : principal.credential.kind, id: principal.credential.id };
}

/** A tenant's chain head as read under its row lock: where the next event links on. */
export interface ChainHead {
  lastSeq: number;
  lastHash: string;
  lastAt: Date | null;
}

/** The chain head columns as a statement returns them (see {@link chainHeadOf}). */
export interface ChainHeadColumns {
  audit_last_seq: string;
  audit_last_hash: string;
  audit_last_at: Date | null;
}

export const chainHeadOf = (row: ChainHeadColumns): ChainHead => ({ lastSeq: Number(row.audit_last_seq), lastHash: row.audit_last_hash, lastAt: row.audit_last_at });

/**
 * SQL that locks a tenant's chain head and returns it (as
 * {@link ChainHeadColumns}), creating it on the tenant's first event: an
 * INSERT … ON CONFLICT whose no-op update takes the row lock, held to the
 * end of the transaction. `source` lets a statement lock the head only when
 * one of its own steps produced rows (e.g. `FROM claimed`), which also
 * orders the locks: that step's rows first, then the head.
 */
export function lockChainHeadSql(tenantParameter: string, source = ''): string {
  return `INSERT INTO audit_chain_heads (tenant_id, last_seq, last_hash) SELECT ${tenantParameter}, 0, '${genesisHash}' ${source}
   ON CONFLICT (tenant_id) DO UPDATE SET last_seq = audit_chain_heads.last_seq
   RETURNING last_seq AS audit_last_seq, last_hash AS audit_last_hash, last_at AS audit_last_at`;
}

const auditAppendParameterCount = 17;

/**
 * SQL that appends one event and moves the chain head, for a statement that
 * carries its audit record with its change (one round trip for both). The
 * event's values are the 17 parameters from `$firstParameter` on, in the
 * order of {@link auditAppendValues}; the statement must run after the
 * head was locked in the same transaction. `queueDeliveries` (a CTE like
 * `insertEvent`; every statement that appends must carry it) queues the
 * event for the tenant's webhooks that subscribe to it: the webhook outbox,
 * in the transaction that records the event.
 */
export function auditAppendSql(firstParameter: number): { insertEvent: string; queueDeliveries: string; moveHead: string } {
  const p = (offset: number) => `$${firstParameter + offset}`;
  const values = Array.from({ length: auditAppendParameterCount }, (_, index) => p(index)).join(', ');
  return {
    insertEvent: `INSERT INTO audit_events (tenant_id, seq, id, at, type, user_id, actor_kind, actor_id, session_id, provider,
       provider_session_id, request_id, detail, prev_hash, hash, key_id, http) VALUES (${values})`,
    queueDeliveries: queueAuditDeliveriesSql(p(0), p(1), p(4)),
    moveHead: `UPDATE audit_chain_heads SET last_seq = ${p(1)}, last_hash = ${p(14)}, last_at = ${p(3)} WHERE tenant_id = ${p(0)}`,
  };
}

/** The parameters {@link auditAppendSql} expects, for a chained event. */
export function auditAppendValues(event: ChainedAuditEvent & { hash: string }): unknown[] {
  return [
    event.tenant, event.seq, event.id, event.at, event.type, event.user, event.actor.kind, event.actor.id, event.session,
    event.provider, event.providerSession, event.requestId, JSON.stringify(event.detail), event.prevHash, event.hash, event.keyId,
    event.http ? JSON.stringify(event.http) : null,
  ];
}

/**
 * The event that follows `head` in the tenant's chain, with its hash keyed
 * by the keyring's current key. Its time is never before the previous
 * event's, so time order is seq order (replica clocks drift).
 */
export function nextChainedEvent(keyring: AuditKeyring, head: ChainHead, tenantId: string, input: AuditEventInput): ChainedAuditEvent & { hash: string } {
  const at = new Date(Math.max(Date.now(), head.lastAt?.getTime() ?? 0));
  const context = currentRequestContext();
  const event: ChainedAuditEvent = {
    id: newId('aud'),
    seq: head.lastSeq + 1,
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
    keyId: keyring.current.id,
    ...(context?.http ? { http: httpOf(context.http, input) } : {}),
    prevHash: head.lastHash,
  };
  return { ...event, hash: keyedChainHash(keyring.current, event) };
}

/** {@link lockChainHeadSql} for a tenant given as `$1`: to `defer` ahead of a statement that reads the head (see session admission). */
export const lockChainHeadStatement = hotStatement('lock_audit_chain_head', lockChainHeadSql('$1'));

const appendEventStatement = (() => {
  const { insertEvent, queueDeliveries, moveHead } = auditAppendSql(1);
  return hotStatement('append_audit_event', `WITH appended AS (${insertEvent}), queued AS (${queueDeliveries}) ${moveHead} RETURNING (SELECT count(*) FROM queued)::int AS queued`);
})();

/** Locks the tenant's chain head for the rest of the transaction and reads it. */
export async function lockChainHead(tx: Transaction, tenantId: string): Promise<ChainHead> {
  const [head] = await tx.hot<ChainHeadColumns>(lockChainHeadStatement, [tenantId]);
  return chainHeadOf(head);
}

/**
 * Appends an event to a tenant's keyed hash chain, inside the caller's
 * transaction, so the record commits or rolls back with the change it
 * describes. The chain head row is locked for the rest of the transaction:
 * appends of one tenant serialize across every replica, keeping `seq`
 * gap-free and the chain linear. (A hot path may do the same in fewer round
 * trips with {@link lockChainHeadSql}, {@link nextChainedEvent} and
 * {@link auditAppendSql}.)
 */
export async function appendAuditEvent(tx: Transaction, tenantId: string, input: AuditEventInput): Promise<ChainedAuditEvent & { hash: string }> {
  const event = nextChainedEvent(auditKeyringOf(tx), await lockChainHead(tx, tenantId), tenantId, input);
  const [appended] = await tx.hot<{ queued: number }>(appendEventStatement, auditAppendValues(event));
  if (appended && appended.queued > 0) nudgeDeliveriesAfterCommit(tx);
  return event;
}

/**
 * Appends `events` — chained one on the other by {@link nextChainedEvent},
 * the first on the head this transaction locked and read — with the
 * transaction's COMMIT, in one round trip: the head is released one round
 * trip after it was read.
 */
export async function appendChainedEventsAndCommit(
  tx: Transaction,
  events: Array<ChainedAuditEvent & { hash: string }>,
  options: { tenantHasWebhooks: boolean },
): Promise<void> {
  for (const event of events.slice(0, -1)) tx.defer(appendEventStatement, auditAppendValues(event));
  const [appended] = await tx.final<{ queued: number }>(appendEventStatement, auditAppendValues(events[events.length - 1]));
  // The deferred appends' counts are not returned: with several events, wake the deliveries if any webhook may have taken one.
  if ((events.length > 1 && options.tenantHasWebhooks) || (appended && appended.queued > 0)) nudgeDeliveriesAfterCommit(tx);
}

/**
 * Appends `event` (chained as for {@link appendChainedEventsAndCommit}) with
 * the transaction's next statement. Its count of queued webhook deliveries
 * is not returned: the caller wakes the deliveries
 * ({@link nudgeDeliveriesAfterCommit}) when the tenant has webhooks.
 */
export function deferChainedEvent(tx: Transaction, event: ChainedAuditEvent & { hash: string }): void {
  tx.defer(appendEventStatement, auditAppendValues(event));
}
