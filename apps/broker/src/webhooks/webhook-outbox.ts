/**
 * The outbox side of webhooks: SQL that queues deliveries inside the
 * transaction recording their event, so an event is delivered if and only if
 * it committed (API.md §9: "queued in the same transaction that records it").
 * It imports nothing of the audit log, which builds its statements from it.
 */

/** Webhook event types that are not `audit.<type>`; two of them are also the plain name of an audit type. */
export const plainWebhookEventTypes = ['budget.threshold_crossed', 'session.terminated', 'webhook.disabled', 'webhook.test'] as const;
export type PlainWebhookEventType = (typeof plainWebhookEventTypes)[number];

/** Audit types a subscriber may also name without the `audit.` prefix (API.md §9 lists them as event types of their own). */
const plainAuditTypes = `('session.terminated', 'webhook.disabled')`;

/** A delivery's id, minted in SQL (`webhook-id`): the same across every retry of it, unique per event and webhook. */
export const deliveryIdSql = `'msg_' || replace(gen_random_uuid()::text, '-', '')`;

/**
 * An INSERT (for a data-modifying CTE) queueing one delivery per active or
 * paused webhook of the tenant that subscribes to the audit event: as
 * `audit.<type>`, or by its plain name for the types that have one. Touches
 * nothing when the tenant has no such webhook (one index probe).
 */
export function queueAuditDeliveriesSql(tenant: string, seq: string, type: string): string {
  const audited = `'audit.' || ${type}::text`;
  return `INSERT INTO webhook_deliveries (id, tenant_id, webhook_id, event_type, audit_seq)
    SELECT ${deliveryIdSql}, w.tenant_id, w.id, CASE WHEN webhook_matches(w.events, ${audited}) THEN ${audited} ELSE ${type}::text END, ${seq}::bigint
    FROM webhooks w
    WHERE w.tenant_id = ${tenant}::text AND w.status IN ('active', 'paused')
      AND (webhook_matches(w.events, ${audited}) OR (${type}::text IN ${plainAuditTypes} AND webhook_matches(w.events, ${type}::text)))
    ORDER BY w.id
    RETURNING id`;
}

/**
 * Queues an event that is not an audit record, its body given, for every
 * subscribed webhook of the tenant: one delivery per row of `source` (a FROM
 * item, e.g. a CTE's name; none: one event) and webhook, `payload` a jsonb
 * expression over that row.
 */
export function queuePayloadDeliveriesSql(tenant: string, type: string, payload: string, source?: string): string {
  return `INSERT INTO webhook_deliveries (id, tenant_id, webhook_id, event_type, payload)
    SELECT ${deliveryIdSql}, w.tenant_id, w.id, ${type}::text, ${payload}
    FROM ${source ? `${source}, ` : ''}webhooks w
    WHERE w.tenant_id = ${tenant}::text AND w.status IN ('active', 'paused') AND webhook_matches(w.events, ${type}::text)
    RETURNING id`;
}

/**
 * The in-process wake-up of each open database's delivery loop (bound by the
 * dispatcher at start): a transaction that queued deliveries calls
 * {@link nudgeDeliveriesAfterCommit}, so this replica sends them at once
 * instead of at its next poll. Bound per database, like the audit keyring,
 * so the free functions that queue reach it and two brokers in one test
 * process keep their own.
 */
const nudges = new WeakMap<object, () => void>();

export function bindDeliveryNudge(database: object, nudge: () => void): void {
  nudges.set(database, nudge);
}

export function nudgeDeliveriesAfterCommit(tx: { database: object; afterCommit(callback: () => void): void }): void {
  const nudge = nudges.get(tx.database);
  if (nudge) tx.afterCommit(nudge);
}
