import { Inject, Injectable } from '@nestjs/common';
import type { AppConfig } from '#libs/config';
import { invalidRequest, notFound } from '#libs/errors';
import { newId } from '#libs/ids';
import { Database, type Transaction } from '#libs/persistence';
import { appConfigToken } from '../app.tokens.js';
import { appendAuditEvent } from '../audit/audit-log.js';
import { AuditKeyring } from '../audit/audit-keyring.js';
import { decodeCursor, encodeCursor, pageFromRows, type Page } from '../http/pagination.js';
import { currentTenantPrincipal } from '../identity/principal.js';
import { WebhookDeliveryRepository } from './webhook-delivery.repository.js';
import { WebhookDispatcher } from './webhook-dispatcher.js';
import { WebhookRepository, type Webhook } from './webhook.repository.js';
import type { CreateWebhookBody, DeliveryView, UpdateWebhookBody, WebhookView } from './webhook.schemas.js';
import { newWebhookSecret } from './webhook-signature.js';
import { webhookUrlProblems } from './webhook-targets.js';

const toView = (webhook: Webhook): WebhookView => ({
  id: webhook.id,
  url: webhook.url,
  events: webhook.events,
  format: webhook.format,
  description: webhook.description,
  status: webhook.status,
  disabledReason: webhook.disabledReason,
  createdAt: webhook.createdAt.toISOString(),
  updatedAt: webhook.updatedAt.toISOString(),
});

/** A tenant admin's webhook subscriptions (API.md §9); each change is audited as `webhook.changed`. */
@Injectable()
export class WebhooksService {
  constructor(
    private readonly database: Database,
    private readonly keyring: AuditKeyring,
    private readonly dispatcher: WebhookDispatcher,
    @Inject(appConfigToken) private readonly config: AppConfig,
  ) {}

  async create(body: CreateWebhookBody): Promise<WebhookView & { secret: string }> {
    const { tenantId } = currentTenantPrincipal();
    await this.checkUrl(body.url);
    const id = newId('whk');
    const secret = newWebhookSecret();
    const key = this.keyring.current;
    const webhook = await this.database.inTenant(tenantId, async (tx) => {
      const created = await new WebhookRepository(tx).insert({
        id, tenantId, url: body.url, events: body.events, format: body.format, description: body.description ?? null,
        secretSealed: key.seal(secret, id), secretKeyId: key.id,
      });
      await appendAuditEvent(tx, tenantId, { type: 'webhook.changed', detail: { action: 'created', webhookId: id, url: body.url, events: body.events, format: body.format } });
      return created;
    });
    return { ...toView(webhook), secret };
  }

  async list(limit: number, cursor: string | undefined): Promise<Page<WebhookView>> {
    const { tenantId } = currentTenantPrincipal();
    const rows = await this.database.inTenant(tenantId, (tx) => new WebhookRepository(tx).listAfter(tenantId, decodeCursor(cursor), limit));
    const page = pageFromRows(rows, limit);
    return { data: page.data.map(toView), nextCursor: page.nextCursor };
  }

  async get(id: string): Promise<WebhookView> {
    const { tenantId } = currentTenantPrincipal();
    return toView(this.found(await this.database.inTenant(tenantId, (tx) => findOwnWebhook(tx, tenantId, id, 'get'))));
  }

  async update(id: string, body: UpdateWebhookBody): Promise<WebhookView> {
    const { tenantId } = currentTenantPrincipal();
    if (body.url !== undefined) await this.checkUrl(body.url);
    const webhook = await this.database.inTenant(tenantId, async (tx) => {
      if (!(await findOwnWebhook(tx, tenantId, id, 'update'))) return undefined;
      const updated = await new WebhookRepository(tx).update(tenantId, id, body);
      await appendAuditEvent(tx, tenantId, { type: 'webhook.changed', detail: { action: 'updated', webhookId: id, changes: body } });
      return updated;
    });
    // A resumed webhook may have deliveries waiting.
    if (body.status === 'active') this.dispatcher.nudge();
    return toView(this.found(webhook));
  }

  async delete(id: string): Promise<void> {
    const { tenantId } = currentTenantPrincipal();
    const deleted = await this.database.inTenant(tenantId, async (tx) => {
      const webhook = await new WebhookRepository(tx).delete(tenantId, id);
      await appendAuditEvent(tx, tenantId, webhook
        ? { type: 'webhook.changed', detail: { action: 'deleted', webhookId: id } }
        : { type: 'access.denied', detail: { resource: 'webhook', id, action: 'delete' } });
      return webhook;
    });
    this.found(deleted);
  }

  /** Queues a `webhook.test` event for this webhook alone, behind its other deliveries; 202 with the delivery's id. */
  async test(id: string): Promise<{ id: string; eventType: 'webhook.test'; status: 'pending' }> {
    const { tenantId } = currentTenantPrincipal();
    const queued = await this.database.inTenant(tenantId, async (tx) => {
      if (!(await findOwnWebhook(tx, tenantId, id, 'test'))) return undefined;
      return new WebhookDeliveryRepository(tx).queueTest(tenantId, id, { webhookId: id, tenant: tenantId, message: 'a test event from Switchboard' });
    });
    this.dispatcher.nudge();
    return { id: this.found(queued).id, eventType: 'webhook.test', status: 'pending' };
  }

  async deliveries(id: string, query: { limit: number; cursor?: string; status?: string }): Promise<Page<DeliveryView>> {
    const { tenantId } = currentTenantPrincipal();
    const rows = this.found(
      await this.database.inTenant(tenantId, async (tx) => {
        if (!(await findOwnWebhook(tx, tenantId, id, 'deliveries'))) return undefined;
        return new WebhookDeliveryRepository(tx).listBefore(tenantId, id, query.status, decodeCursor(query.cursor), query.limit);
      }),
    );
    const data = rows.slice(0, query.limit);
    const nextCursor = rows.length > query.limit ? encodeCursor(data[data.length - 1].position) : null;
    return { data: data.map(({ position: _position, ...view }) => view), nextCursor };
  }

  async retry(id: string, deliveryId: string): Promise<DeliveryView> {
    const { tenantId } = currentTenantPrincipal();
    const delivery = await this.database.inTenant(tenantId, async (tx) => {
      const requeued = await new WebhookDeliveryRepository(tx).requeue(tenantId, id, deliveryId);
      if (!requeued) await appendAuditEvent(tx, tenantId, { type: 'access.denied', detail: { resource: 'webhook_delivery', id: deliveryId, action: 'retry' } });
      return requeued;
    });
    this.dispatcher.nudge();
    return this.found(delivery);
  }

  private found<T>(value: T | undefined): T {
    if (value === undefined) throw notFound('webhook');
    return value;
  }

  private async checkUrl(url: string): Promise<void> {
    const { allowPrivateTargets, requireHttps } = this.config.webhooks;
    const problems = await webhookUrlProblems(url, allowPrivateTargets, allowPrivateTargets && !requireHttps);
    if (problems.length > 0) throw invalidRequest('the webhook URL is not allowed', problems.map((message) => ({ path: 'body.url', message })));
  }
}

/** The tenant's webhook, or undefined after recording the denied lookup (another tenant's webhook does not exist here). */
async function findOwnWebhook(tx: Transaction, tenantId: string, id: string, action: string): Promise<Webhook | undefined> {
  const webhook = await new WebhookRepository(tx).find(tenantId, id);
  if (!webhook) await appendAuditEvent(tx, tenantId, { type: 'access.denied', detail: { resource: 'webhook', id, action } });
  return webhook;
}
