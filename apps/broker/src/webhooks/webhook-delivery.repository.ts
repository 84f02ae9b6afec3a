import type { Transaction } from '#libs/persistence';
import type { DeliveryView } from './webhook.schemas.js';
import { deliveryIdSql } from './webhook-outbox.js';

/** One attempt, as the delivery's log keeps it. */
export interface AttemptRecord {
  at: string;
  status: number | null;
  error: string | null;
  durationMs: number;
}

/** A delivery this replica leased, with what sending it needs. */
export interface ClaimedDelivery {
  id: string;
  tenantId: string;
  webhookId: string;
  eventType: string;
  /** The audit record to render (raw columns), or null for an event that carries its payload. */
  audit: Record<string, unknown> | null;
  payload: Record<string, unknown> | null;
  attempts: number;
  firstAttemptAt: Date;
  createdAt: Date;
  url: string;
  format: 'json' | 'ocsf';
  secretSealed: string;
  secretKeyId: string;
}

interface ClaimedRow {
  id: string;
  tenant_id: string;
  webhook_id: string;
  event_type: string;
  audit: Record<string, unknown> | null;
  payload: Record<string, unknown> | null;
  attempts: number;
  first_attempt_at: Date;
  created_at: Date;
  url: string;
  format: 'json' | 'ocsf';
  secret_sealed: string;
  secret_key_id: string;
}

interface DeliveryRow {
  id: string;
  position: string;
  webhook_id: string;
  event_type: string;
  status: DeliveryView['status'];
  attempts: number;
  next_attempt_at: Date;
  last_status: number | null;
  last_error: string | null;
  last_answer: string | null;
  attempt_log: AttemptRecord[];
  created_at: Date;
  delivered_at: Date | null;
}

const toView = (row: DeliveryRow): DeliveryView => ({
  id: row.id,
  webhookId: row.webhook_id,
  eventType: row.event_type,
  status: row.status,
  attempts: row.attempts,
  nextAttemptAt: row.status === 'pending' ? row.next_attempt_at.toISOString() : null,
  lastStatus: row.last_status,
  lastError: row.last_error,
  lastAnswer: row.last_answer,
  attemptLog: row.attempt_log,
  createdAt: row.created_at.toISOString(),
  deliveredAt: row.delivered_at?.toISOString() ?? null,
});

const listColumns = `id, position, webhook_id, event_type, status, attempts, next_attempt_at, last_status, last_error, last_answer, attempt_log, created_at, delivered_at`;

/** How many attempts a delivery's log keeps (the newest). */
const attemptLogLength = 20;
const appendAttemptSql = (parameter: string) =>
  `(SELECT coalesce(jsonb_agg(entry ORDER BY position), '[]'::jsonb) FROM jsonb_array_elements(attempt_log || jsonb_build_array(${parameter}::jsonb)) WITH ORDINALITY AS x(entry, position)
    WHERE position > jsonb_array_length(attempt_log) + 1 - ${attemptLogLength})`;

/**
 * The due head of each active webhook, leased: per webhook only the pending
 * delivery with the lowest position may be taken (in order per webhook), and
 * not while another replica's lease on it runs. The heads are found with one
 * index probe per active webhook (a paused webhook's backlog is not read).
 * FOR UPDATE SKIP LOCKED makes concurrent claims on every replica take
 * disjoint rows; the `status` and `lease_until` conditions are re-checked on
 * the newest row version, so a delivery another replica leased or finished
 * since this statement's snapshot is not taken again.
 */
const claimSql = `
  WITH heads AS (
    SELECT head.id FROM webhooks w
    CROSS JOIN LATERAL (SELECT id FROM webhook_deliveries WHERE webhook_id = w.id AND status = 'pending' ORDER BY position LIMIT 1) head
    WHERE w.status = 'active'
  ), due AS (
    SELECT d.id FROM webhook_deliveries d JOIN heads h ON h.id = d.id
    WHERE d.status = 'pending' AND d.next_attempt_at <= now() AND (d.lease_until IS NULL OR d.lease_until < now())
    ORDER BY d.next_attempt_at, d.position LIMIT $1
    FOR UPDATE OF d SKIP LOCKED
  ), claimed AS (
    UPDATE webhook_deliveries d SET lease_until = now() + make_interval(secs => $2::double precision), attempts = d.attempts + 1,
      first_attempt_at = coalesce(d.first_attempt_at, now()), last_attempt_at = now()
    FROM due WHERE d.id = due.id
    RETURNING d.id, d.tenant_id, d.webhook_id, d.event_type, d.audit_seq, d.payload, d.attempts, d.first_attempt_at, d.created_at
  )
  SELECT c.id, c.tenant_id, c.webhook_id, c.event_type, c.payload, c.attempts, c.first_attempt_at, c.created_at,
    w.url, w.format, w.secret_sealed, w.secret_key_id, to_jsonb(a) AS audit
  FROM claimed c JOIN webhooks w ON w.id = c.webhook_id
  LEFT JOIN audit_events a ON a.tenant_id = c.tenant_id AND a.seq = c.audit_seq`;

/** The delivery outbox: queued by the transactions that record events, leased and settled by the dispatcher. */
export class WebhookDeliveryRepository {
  constructor(private readonly tx: Transaction) {}

  /** Leases up to `limit` due deliveries for `leaseSeconds` (platform scope: every tenant's). */
  async claim(limit: number, leaseSeconds: number): Promise<ClaimedDelivery[]> {
    const rows = await this.tx.rows<ClaimedRow>(claimSql, [limit, leaseSeconds]);
    return rows.map((row) => ({
      id: row.id,
      tenantId: row.tenant_id,
      webhookId: row.webhook_id,
      eventType: row.event_type,
      audit: row.audit,
      payload: row.payload,
      attempts: row.attempts,
      firstAttemptAt: row.first_attempt_at,
      createdAt: row.created_at,
      url: row.url,
      format: row.format,
      secretSealed: row.secret_sealed,
      secretKeyId: row.secret_key_id,
    }));
  }

  async markDelivered(id: string, attempt: AttemptRecord, answer: string | null): Promise<void> {
    await this.tx.count(
      `UPDATE webhook_deliveries SET status = 'delivered', lease_until = NULL, delivered_at = now(), last_status = $2, last_error = NULL, last_answer = $3,
         attempt_log = ${appendAttemptSql('$4')}
       WHERE id = $1 AND status = 'pending'`,
      [id, attempt.status, answer, JSON.stringify(attempt)],
    );
  }

  /** A failed attempt: tried again after `delayMs`, or (`delayMs` null) given up. */
  async markAttemptFailed(id: string, attempt: AttemptRecord, answer: string | null, delayMs: number | null): Promise<void> {
    await this.tx.count(
      `UPDATE webhook_deliveries SET lease_until = NULL, last_status = $2, last_error = $3, last_answer = $4, attempt_log = ${appendAttemptSql('$5')},
         status = CASE WHEN $6::double precision IS NULL THEN 'failed' ELSE 'pending' END,
         next_attempt_at = CASE WHEN $6::double precision IS NULL THEN next_attempt_at ELSE now() + make_interval(secs => $6::double precision / 1000) END
       WHERE id = $1 AND status = 'pending'`,
      [id, attempt.status, attempt.error, answer, JSON.stringify(attempt), delayMs],
    );
  }

  /** Up to `limit + 1` deliveries of a webhook, newest first, before `beforePosition`. */
  async listBefore(tenantId: string, webhookId: string, status: string | undefined, beforePosition: string | null, limit: number): Promise<Array<DeliveryView & { position: string }>> {
    const rows = await this.tx.rows<DeliveryRow>(
      `SELECT ${listColumns} FROM webhook_deliveries
       WHERE tenant_id = $1 AND webhook_id = $2 AND ($3::text IS NULL OR status = $3) AND ($4::bigint IS NULL OR position < $4::bigint)
       ORDER BY position DESC LIMIT $5`,
      [tenantId, webhookId, status ?? null, beforePosition, limit + 1],
    );
    return rows.map((row) => ({ ...toView(row), position: row.position }));
  }

  /**
   * Sends a failed or delivered delivery again, at its place in the webhook's
   * order (its position is kept), with a fresh retry window. Undefined when
   * there is no such delivery; a pending one is left as it is.
   */
  async requeue(tenantId: string, webhookId: string, id: string): Promise<DeliveryView | undefined> {
    const row = await this.tx.one<DeliveryRow>(
      `UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = now(), lease_until = CASE WHEN status = 'pending' THEN lease_until END,
         first_attempt_at = CASE WHEN status = 'pending' THEN first_attempt_at END, delivered_at = NULL
       WHERE tenant_id = $1 AND webhook_id = $2 AND id = $3 RETURNING ${listColumns}`,
      [tenantId, webhookId, id],
    );
    return row && toView(row);
  }

  /** A `webhook.test` event for this webhook only, queued behind its other deliveries. */
  async queueTest(tenantId: string, webhookId: string, data: Record<string, unknown>): Promise<{ id: string }> {
    const [row] = await this.tx.rows<{ id: string }>(
      `INSERT INTO webhook_deliveries (id, tenant_id, webhook_id, event_type, payload) VALUES (${deliveryIdSql}, $1, $2, 'webhook.test', $3::jsonb) RETURNING id`,
      [tenantId, webhookId, JSON.stringify(data)],
    );
    return row;
  }
}
