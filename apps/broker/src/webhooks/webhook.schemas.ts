import { z } from 'zod';
import { auditEventTypes } from '../audit/audit-log.js';
import { idParam } from '../http/id-param.js';
import { pageOf, pageQuery } from '../http/pagination.js';
import { plainWebhookEventTypes } from './webhook-outbox.js';

/** Every event type a webhook can receive (API.md §9); `webhook.test` only comes from POST /test, to the webhook tested. */
export const webhookEventTypes = [...auditEventTypes.map((type) => `audit.${type}`), ...plainWebhookEventTypes.filter((type) => type !== 'webhook.test')];

/** The TypeScript twin of SQL `webhook_matches` (migration Webhooks): `*`, an exact type, or a `prefix.*` wildcard. */
export function eventPatternMatches(pattern: string, type: string): boolean {
  return pattern === '*' || pattern === type || (pattern.endsWith('.*') && type.startsWith(pattern.slice(0, -1)));
}

const eventPattern = z
  .string()
  .regex(/^(\*|[a-z_]+(\.[a-z_]+)*(\.\*)?)$/, 'an event type, `*`, or a prefix wildcard such as `audit.*`')
  .refine((pattern) => webhookEventTypes.some((type) => eventPatternMatches(pattern, type)), { message: 'matches no event type (see GET /openapi.json: webhook event types)' });

const webhookFields = {
  url: z.string().min(1).max(2000).describe('Where deliveries are POSTed: https (loopback, private and link-local targets are refused)'),
  events: z
    .array(eventPattern)
    .min(1)
    .max(50)
    .describe(`Event types or wildcards (\`audit.*\`, \`*\`). Types: ${webhookEventTypes.join(', ')}`),
  format: z.enum(['json', 'ocsf']).describe('`json`: `{type, timestamp, data}` with the audit record or event as the API shows it; `ocsf`: audit records as OCSF API Activity'),
  description: z.string().max(500).nullable(),
};

export const createWebhookBody = z.strictObject({
  url: webhookFields.url,
  events: webhookFields.events,
  format: webhookFields.format.default('json'),
  description: webhookFields.description.optional(),
}).meta({ id: 'CreateWebhookRequest' });
export type CreateWebhookBody = z.infer<typeof createWebhookBody>;

/** PATCH: fields sent replace; `status` pauses (`paused`) or resumes (`active`; also re-enables a disabled webhook). */
export const updateWebhookBody = z.strictObject({
  url: webhookFields.url.optional(),
  events: webhookFields.events.optional(),
  format: webhookFields.format.optional(),
  description: webhookFields.description.optional(),
  status: z.enum(['active', 'paused']).optional(),
}).meta({ id: 'UpdateWebhookRequest' });
export type UpdateWebhookBody = z.infer<typeof updateWebhookBody>;

export const webhookStatuses = ['active', 'paused', 'disabled'] as const;
export type WebhookStatus = (typeof webhookStatuses)[number];

export const webhookView = z.object({
  id: z.string(),
  url: z.string(),
  events: z.array(z.string()),
  format: z.enum(['json', 'ocsf']),
  description: z.string().nullable(),
  status: z.enum(webhookStatuses),
  disabledReason: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
}).meta({ id: 'Webhook' });
export type WebhookView = z.infer<typeof webhookView>;

export const createdWebhookView = webhookView.extend({ secret: z.string().describe('The signing secret (`whsec_…`), shown this once') }).meta({ id: 'CreatedWebhook' });

export const deliveryStatuses = ['pending', 'delivered', 'failed'] as const;

const attemptView = z.object({
  at: z.string(),
  status: z.number().int().nullable().describe("The receiver's HTTP status; null when no answer came"),
  error: z.string().nullable().describe('Why the attempt failed without an answer (timeout, refused target, connection error)'),
  durationMs: z.number().int(),
}).meta({ id: 'WebhookDeliveryAttempt' });

export const deliveryView = z.object({
  id: z.string().describe('The `webhook-id` header: the same on every attempt of this delivery'),
  webhookId: z.string(),
  eventType: z.string(),
  status: z.enum(deliveryStatuses),
  attempts: z.number().int(),
  nextAttemptAt: z.string().nullable(),
  lastStatus: z.number().int().nullable(),
  lastError: z.string().nullable(),
  lastAnswer: z.string().nullable().describe("The start of the receiver's last answer body (up to 1 KiB)"),
  attemptLog: z.array(attemptView).describe('The last 20 attempts'),
  createdAt: z.string(),
  deliveredAt: z.string().nullable(),
}).meta({ id: 'WebhookDelivery' });
export type DeliveryView = z.infer<typeof deliveryView>;

export const webhookIdParams = z.strictObject({ id: idParam('whk') });
export const deliveryIdParams = z.strictObject({ id: idParam('whk'), deliveryId: z.string().regex(/^msg_[0-9a-f]{32}$/, 'must be a delivery id (msg_…)') });
export const listWebhooksQuery = z.strictObject({ ...pageQuery });
export const listDeliveriesQuery = z.strictObject({ ...pageQuery, status: z.enum(deliveryStatuses).optional() });
export const webhookPage = pageOf(webhookView).meta({ id: 'WebhookPage' });
export const deliveryPage = pageOf(deliveryView).meta({ id: 'WebhookDeliveryPage' });
export const testDeliveryView = z.object({ id: z.string(), eventType: z.literal('webhook.test'), status: z.enum(deliveryStatuses) }).meta({ id: 'WebhookTestDelivery' });
