import type { AuditEventView } from './audit.schemas.js';

/**
 * OCSF 1.x "API Activity" (class 6003, category Application): every audit
 * event is an API call the broker authorised (or refused) on behalf of an
 * actor, on a resource (session, credential, agent, limits).
 * Schema: https://schema.ocsf.io/classes/api_activity
 */
const apiActivityClassUid = 6003;
const applicationCategoryUid = 6;

/** OCSF activity ids of API Activity: 1 Create, 2 Read, 3 Update, 4 Delete. */
const activityOf: Record<string, { id: 1 | 2 | 3 | 4; name: string }> = {
  'session.bound': { id: 1, name: 'Create' },
  'session.accessed': { id: 2, name: 'Read' },
  'session.terminated': { id: 4, name: 'Delete' },
  'access.denied': { id: 2, name: 'Read' },
  'limit.denied': { id: 1, name: 'Create' },
  'credential.created': { id: 1, name: 'Create' },
  'credential.revoked': { id: 4, name: 'Delete' },
  'limits.changed': { id: 3, name: 'Update' },
  'agent.changed': { id: 3, name: 'Update' },
  'tenant.created': { id: 1, name: 'Create' },
  'target.granted': { id: 1, name: 'Create' },
  'target.revoked': { id: 4, name: 'Delete' },
  'target.denied': { id: 1, name: 'Create' },
};

/** The OCSF schema version these events are shaped to and validated against (test/data/ocsf-schema). */
export const ocsfSchemaVersion = '1.9.0-dev';

const denied = new Set(['access.denied', 'limit.denied', 'target.denied']);

export function toOcsfApiActivity(event: AuditEventView, product: { version: string }): Record<string, unknown> {
  const activity = activityOf[event.type] ?? { id: 2, name: 'Read' };
  const failure = denied.has(event.type);
  const resourceUid = event.session ?? (typeof event.detail.keyId === 'string' ? event.detail.keyId : undefined) ?? (typeof event.detail.agentId === 'string' ? event.detail.agentId : undefined) ?? (typeof event.detail.grantId === 'string' ? event.detail.grantId : undefined);
  return {
    activity_id: activity.id,
    activity_name: activity.name,
    category_uid: applicationCategoryUid,
    category_name: 'Application Activity',
    class_uid: apiActivityClassUid,
    class_name: 'API Activity',
    type_uid: apiActivityClassUid * 100 + activity.id,
    type_name: `API Activity: ${activity.name}`,
    time: Date.parse(event.at),
    severity_id: failure ? 3 : 1,
    severity: failure ? 'Medium' : 'Informational',
    status_id: failure ? 2 : 1,
    status: failure ? 'Failure' : 'Success',
    message: event.type,
    metadata: {
      version: ocsfSchemaVersion,
      product: { name: 'Switchboard', vendor_name: 'Switchboard', version: product.version },
      uid: event.id,
      correlation_uid: event.requestId ?? undefined,
      tenant_uid: event.tenant,
      log_name: 'audit',
      sequence: event.seq,
    },
    actor: {
      user: event.user ? { uid: event.user, type_id: 1, type: 'User' } : undefined,
      app_name: event.actor.kind === 'system' ? 'Switchboard' : undefined,
      authorizations: [{ decision: failure ? 'Deny' : 'Allow' }],
      idp: event.actor.kind === 'jwt' ? { name: 'OIDC' } : undefined,
      session: event.actor.id ? { uid: event.actor.id, credential_uid: event.actor.id } : undefined,
    },
    api: {
      operation: event.type,
      service: { name: event.provider ? `switchboard/${event.provider}` : 'switchboard' },
      request: event.requestId ? { uid: event.requestId } : undefined,
    },
    src_endpoint: { name: event.actor.kind, uid: event.actor.id ?? undefined },
    resources: resourceUid ? [{ uid: resourceUid, type: event.session ? 'session' : typeof event.detail.resource === 'string' ? event.detail.resource : 'resource' }] : undefined,
    unmapped: {
      switchboard: {
        provider_session: event.providerSession,
        detail: event.detail,
        hash: event.hash,
        prev_hash: event.prevHash,
        key_id: event.keyId,
      },
    },
  };
}
