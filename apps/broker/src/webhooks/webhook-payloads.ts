import { toAuditEventView, type AuditRow } from '../audit/audit-event.repository.js';
import { toOcsfApiActivity } from '../audit/ocsf-mapper.js';
import { productVersion } from '../audit/audit.service.js';
import type { ClaimedDelivery } from './webhook-delivery.repository.js';

/**
 * The body of a delivery, rendered from its own tenant's rows only (the
 * audit record is joined on the delivery's tenant): `json` is the Standard
 * Webhooks envelope `{type, timestamp, data}` with the audit record as
 * `GET /v1/audit/events` shows it (or the event's own data); `ocsf` sends an
 * audit record as the OCSF export does (API Activity), and other events in
 * the JSON envelope (OCSF has no class for them). Rendering is deterministic,
 * so every attempt of a delivery sends the same body.
 */
export function deliveryBody(delivery: ClaimedDelivery): string {
  if (delivery.audit) {
    // The row as to_jsonb gives it: the time as text.
    const row = delivery.audit as unknown as Omit<AuditRow, 'at'> & { at: string };
    const view = toAuditEventView({ ...row, at: new Date(row.at) });
    if (delivery.format === 'ocsf') return JSON.stringify(toOcsfApiActivity(view, { version: productVersion }));
    return JSON.stringify({ type: delivery.eventType, timestamp: view.at, data: view });
  }
  return JSON.stringify({ type: delivery.eventType, timestamp: delivery.createdAt.toISOString(), data: delivery.payload ?? {} });
}
