import type { Transaction } from '#libs/persistence';
import type { WebhookStatus } from './webhook.schemas.js';

export interface Webhook {
  id: string;
  tenantId: string;
  url: string;
  events: string[];
  format: 'json' | 'ocsf';
  description: string | null;
  status: WebhookStatus;
  disabledReason: string | null;
  /** The signing secret, AES-256-GCM sealed under audit key `secretKeyId` (see AuditKey.seal). */
  secretSealed: string;
  secretKeyId: string;
  createdAt: Date;
  updatedAt: Date;
}

interface WebhookRow {
  id: string;
  tenant_id: string;
  url: string;
  events: string[];
  format: 'json' | 'ocsf';
  description: string | null;
  status: WebhookStatus;
  disabled_reason: string | null;
  secret_sealed: string;
  secret_key_id: string;
  created_at: Date;
  updated_at: Date;
}

const columns = `id, tenant_id, url, events, format, description, status, disabled_reason, secret_sealed, secret_key_id, created_at, updated_at`;
const toWebhook = (row: WebhookRow): Webhook => ({
  id: row.id,
  tenantId: row.tenant_id,
  url: row.url,
  events: row.events,
  format: row.format,
  description: row.description,
  status: row.status,
  disabledReason: row.disabled_reason,
  secretSealed: row.secret_sealed,
  secretKeyId: row.secret_key_id,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

/** A tenant's webhook subscriptions (RLS-scoped; the dispatcher reads them in platform scope). */
export class WebhookRepository {
  constructor(private readonly tx: Transaction) {}

  async insert(webhook: Omit<Webhook, 'createdAt' | 'updatedAt' | 'disabledReason' | 'status'>): Promise<Webhook> {
    const [row] = await this.tx.rows<WebhookRow>(
      `INSERT INTO webhooks (id, tenant_id, url, events, format, description, status, secret_sealed, secret_key_id)
       VALUES ($1, $2, $3, $4, $5, $6, 'active', $7, $8) RETURNING ${columns}`,
      [webhook.id, webhook.tenantId, webhook.url, webhook.events, webhook.format, webhook.description, webhook.secretSealed, webhook.secretKeyId],
    );
    return toWebhook(row);
  }

  async find(tenantId: string, id: string): Promise<Webhook | undefined> {
    const row = await this.tx.one<WebhookRow>(`SELECT ${columns} FROM webhooks WHERE tenant_id = $1 AND id = $2`, [tenantId, id]);
    return row && toWebhook(row);
  }

  /** Up to `limit + 1` webhooks after `afterId`, in id (creation) order. */
  async listAfter(tenantId: string, afterId: string | null, limit: number): Promise<Webhook[]> {
    const rows = await this.tx.rows<WebhookRow>(
      `SELECT ${columns} FROM webhooks WHERE tenant_id = $1 AND ($2::text IS NULL OR id > $2) ORDER BY id LIMIT $3`,
      [tenantId, afterId, limit + 1],
    );
    return rows.map(toWebhook);
  }

  /** Applies the changes given (undefined: unchanged); a status change clears the reason a webhook was disabled. */
  async update(
    tenantId: string,
    id: string,
    changes: { url?: string; events?: string[]; format?: string; description?: string | null; status?: WebhookStatus },
  ): Promise<Webhook | undefined> {
    const row = await this.tx.one<WebhookRow>(
      `UPDATE webhooks SET url = coalesce($3, url), events = coalesce($4, events), format = coalesce($5, format),
         description = CASE WHEN $6 THEN $7 ELSE description END, status = coalesce($8, status),
         disabled_reason = CASE WHEN $8::text IS NULL THEN disabled_reason ELSE NULL END, updated_at = now()
       WHERE tenant_id = $1 AND id = $2 RETURNING ${columns}`,
      [tenantId, id, changes.url ?? null, changes.events ?? null, changes.format ?? null, changes.description !== undefined, changes.description ?? null,
        changes.status ?? null],
    );
    return row && toWebhook(row);
  }

  /** Stops deliveries to an active webhook; false when it was not active (already disabled, paused or deleted). */
  async disable(id: string, reason: string): Promise<boolean> {
    return (await this.tx.count(`UPDATE webhooks SET status = 'disabled', disabled_reason = $2, updated_at = now() WHERE id = $1 AND status = 'active'`, [id, reason])) > 0;
  }

  async delete(tenantId: string, id: string): Promise<Webhook | undefined> {
    // Through a CTE: TypeORM answers a bare DELETE … RETURNING as [rows, count]. Its deliveries go with it (ON DELETE CASCADE).
    const row = await this.tx.one<WebhookRow>(`WITH gone AS (DELETE FROM webhooks WHERE tenant_id = $1 AND id = $2 RETURNING ${columns}) SELECT * FROM gone`, [tenantId, id]);
    return row && toWebhook(row);
  }
}
