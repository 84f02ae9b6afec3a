import { Controller, Delete, Get, Patch, Post } from '@nestjs/common';
import { problemResponses } from '../http/problem-responses.js';
import { Route, Valid } from '../http/route-spec.js';
import {
  createdWebhookView,
  createWebhookBody,
  deliveryIdParams,
  deliveryPage,
  deliveryView,
  listDeliveriesQuery,
  listWebhooksQuery,
  testDeliveryView,
  updateWebhookBody,
  webhookIdParams,
  webhookPage,
  webhookView,
  type CreateWebhookBody,
  type UpdateWebhookBody,
} from './webhook.schemas.js';
import { WebhooksService } from './webhooks.service.js';

const admin = { kind: 'tenant', roles: ['admin'] } as const;
const tag = 'Webhooks';

/** Signed webhooks (API.md §9, README: Webhooks): a tenant admin's subscriptions and their deliveries. */
@Controller('v1/webhooks')
export class WebhooksController {
  constructor(private readonly webhooks: WebhooksService) {}

  @Post()
  @Route({
    operationId: 'createWebhook',
    summary: 'Subscribe a URL to events; the signing secret is in this answer only',
    tag,
    access: admin,
    body: createWebhookBody,
    responses: { 201: { description: 'The webhook, with its secret', schema: createdWebhookView }, ...problemResponses(400, 401, 403) },
  })
  create(@Valid('body') body: CreateWebhookBody) {
    return this.webhooks.create(body);
  }

  @Get()
  @Route({
    operationId: 'listWebhooks',
    summary: "The tenant's webhooks (never their secrets)",
    tag,
    access: admin,
    query: listWebhooksQuery,
    responses: { 200: { description: 'A page of webhooks', schema: webhookPage }, ...problemResponses(400, 401, 403) },
  })
  list(@Valid('query') query: { limit: number; cursor?: string }) {
    return this.webhooks.list(query.limit, query.cursor);
  }

  @Get(':id')
  @Route({
    operationId: 'getWebhook',
    summary: 'One webhook',
    tag,
    access: admin,
    params: webhookIdParams,
    responses: { 200: { description: 'The webhook', schema: webhookView }, ...problemResponses(400, 401, 403, 404) },
  })
  get(@Valid('params') params: { id: string }) {
    return this.webhooks.get(params.id);
  }

  @Patch(':id')
  @Route({
    operationId: 'updateWebhook',
    summary: 'Change a webhook: its URL, events, format, description; pause (`status: paused`) or resume (`active`, also after it was disabled)',
    tag,
    access: admin,
    params: webhookIdParams,
    body: updateWebhookBody,
    responses: { 200: { description: 'The webhook', schema: webhookView }, ...problemResponses(400, 401, 403, 404) },
  })
  update(@Valid('params') params: { id: string }, @Valid('body') body: UpdateWebhookBody) {
    return this.webhooks.update(params.id, body);
  }

  @Delete(':id')
  @Route({
    operationId: 'deleteWebhook',
    summary: 'Delete a webhook and its queued deliveries',
    tag,
    access: admin,
    params: webhookIdParams,
    responses: { 204: { description: 'Deleted' }, ...problemResponses(400, 401, 403, 404) },
  })
  async delete(@Valid('params') params: { id: string }): Promise<void> {
    await this.webhooks.delete(params.id);
  }

  @Post(':id/test')
  @Route({
    operationId: 'testWebhook',
    summary: 'Queue a `webhook.test` event to this webhook alone (delivered in order, behind what it already has queued)',
    tag,
    access: admin,
    params: webhookIdParams,
    responses: { 202: { description: 'The queued delivery', schema: testDeliveryView }, ...problemResponses(400, 401, 403, 404) },
  })
  test(@Valid('params') params: { id: string }) {
    return this.webhooks.test(params.id);
  }

  @Get(':id/deliveries')
  @Route({
    operationId: 'listWebhookDeliveries',
    summary: "A webhook's deliveries, newest first, with their attempts and the receiver's answers",
    tag,
    access: admin,
    params: webhookIdParams,
    query: listDeliveriesQuery,
    responses: { 200: { description: 'A page of deliveries', schema: deliveryPage }, ...problemResponses(400, 401, 403, 404) },
  })
  deliveries(@Valid('params') params: { id: string }, @Valid('query') query: { limit: number; cursor?: string; status?: string }) {
    return this.webhooks.deliveries(params.id, query);
  }

  @Post(':id/deliveries/:deliveryId/retry')
  @Route({
    operationId: 'retryWebhookDelivery',
    summary: 'Send a failed (or delivered) delivery again, at its place in the order, with a fresh retry window',
    tag,
    access: admin,
    params: deliveryIdParams,
    responses: { 202: { description: 'The delivery, pending again', schema: deliveryView }, ...problemResponses(400, 401, 403, 404) },
  })
  retry(@Valid('params') params: { id: string; deliveryId: string }) {
    return this.webhooks.retry(params.id, params.deliveryId);
  }
}
