import type { AuditEventType } from './audit-log.js';
import type { AuditEventView } from './audit.schemas.js';

/**
 * OCSF 1.x "API Activity" (class 6003, category Application): every audit
 * event is an API call the broker authorised (or refused) on behalf of an
 * actor, on a resource (session, credential, agent, limits).
 * Schema: https://schema.ocsf.io/classes/api_activity
 */
const apiActivityClassUid = 6003;
const applicationCategoryUid = 6;

/** API Activity's activities (and base_event's Other). */
export const ocsfActivities = {
  create: { id: 1, name: 'Create' },
  read: { id: 2, name: 'Read' },
  update: { id: 3, name: 'Update' },
  delete: { id: 4, name: 'Delete' },
  other: { id: 99, name: 'Other' },
} as const;
export type OcsfActivity = (typeof ocsfActivities)[keyof typeof ocsfActivities];
const { create, read, update, delete: remove, other } = ocsfActivities;

/**
 * What an action named in an event's `detail.action` does to its resource.
 * A denial names the operation it refused, so a denied termination is a
 * denied Delete and a denied lookup a denied Read.
 */
const actionActivity: Record<string, OcsfActivity> = {
  get: read,
  events: read,
  turn: create,
  create_session: create,
  create_agent: create,
  update_agent: update,
  provisioned: create,
  created: create,
  update: update,
  updated: update,
  terminate: remove,
  admin_terminate: remove,
  revoke: remove,
  delete: remove,
  deleted: remove,
};
const byAction = (event: AuditEventView) => (typeof event.detail.action === 'string' ? actionActivity[event.detail.action] : undefined) ?? other;

/**
 * The activity of every audit type: what happened to the resource, denials
 * included (activity = the attempted operation; status says it failed).
 * A new audit type must be added here: the record type makes the compiler
 * ask for it, and ocsf-mapper.test.ts pins each one.
 */
export const ocsfActivityOf: Record<AuditEventType, (event: AuditEventView) => OcsfActivity> = {
  'session.bound': () => create,
  // A turn creates, a read reads, a termination deletes: the action says which.
  'session.accessed': byAction,
  'session.terminated': () => remove,
  'access.denied': byAction,
  // The limits refuse a new session or a new turn.
  'limit.denied': () => create,
  'credential.created': () => create,
  'credential.revoked': () => remove,
  // A new secret for the key's role and name; the old one lives out its grace.
  'credential.rotated': () => update,
  // The refused use of an expired key: a failed call (the resource is the request the key was sent with).
  'credential.expired': () => other,
  'limits.changed': (event) => (event.detail.removed === true ? remove : update),
  'agent.changed': byAction,
  'tenant.created': () => create,
  'target.granted': () => create,
  'target.revoked': () => remove,
  // A refused target: the agent create/update or session create it would have done.
  'target.denied': byAction,
  // A person (or the broker, for a call left undecided) allows or denies a tool call waiting for approval: it updates that call.
  'approval.decided': () => update,
  // A user's records are pseudonymised and their content deleted.
  'user.erased': () => remove,
  // A webhook subscription created, updated (paused, resumed, its events or URL) or deleted: the action says which.
  'webhook.changed': byAction,
  // The broker stops delivering to a webhook whose receiver failed for the whole retry window (or answered 410).
  'webhook.disabled': () => update,
};

/** The OCSF schema version these events are shaped to and validated against (test/data/ocsf-schema). */
export const ocsfSchemaVersion = '1.9.0-dev';

const denied = new Set(['access.denied', 'limit.denied', 'target.denied', 'credential.expired']);

/** OCSF observable type ids (dictionary.json `observable` numbers) and their captions. */
const observableTypes = {
  ip: { type_id: 2, type: 'IP Address' },
  resourceUid: { type_id: 10, type: 'Resource UID' },
  credentialUid: { type_id: 19, type: 'User Credential ID' },
  userUid: { type_id: 31, type: 'User: Unique ID' },
  // No OCSF type fits a tenant id: Other, named.
  tenantUid: { type_id: 99, type: 'Tenant UID' },
} as const;

/** The OCSF user behind an event: the end user, else the key, operator or token that acted. */
function userOf(event: AuditEventView): Record<string, unknown> | undefined {
  const credential = event.actor.id ?? undefined;
  if (event.user) return { uid: event.user, name: event.user, type_id: 1, type: 'User', credential_uid: credential };
  if (event.actor.kind === 'operator') return { uid: 'operator', name: 'operator', type_id: 2, type: 'Admin', credential_uid: credential };
  if (event.actor.kind === 'api_key' && credential) return { uid: credential, type_id: 4, type: 'Service', credential_uid: credential };
  return undefined;
}

export function toOcsfApiActivity(event: AuditEventView, product: { version: string }): Record<string, unknown> {
  const mapping = ocsfActivityOf[event.type as AuditEventType];
  const activity = mapping ? mapping(event) : other;
  const failure = denied.has(event.type);
  const http = event.http ?? null;
  const user = userOf(event);
  const resourceUid = event.session ?? (typeof event.detail.keyId === 'string' ? event.detail.keyId : undefined) ?? (typeof event.detail.agentId === 'string' ? event.detail.agentId : undefined) ?? (typeof event.detail.grantId === 'string' ? event.detail.grantId : undefined);
  const resourceType = event.session ? 'session' : typeof event.detail.resource === 'string' ? event.detail.resource : 'resource';
  const resources = [
    ...(resourceUid ? [{ uid: resourceUid, type: resourceType }] : []),
    ...(event.providerSession ? [{ uid: event.providerSession, type: 'provider_session' }] : []),
  ];
  const observables: Array<Record<string, unknown>> = [];
  const observe = (name: string, value: string | null | undefined, type: { type_id: number; type: string }) => {
    if (value) observables.push({ name, value, ...type });
  };
  observe('src_endpoint.ip', http?.clientIp, observableTypes.ip);
  observe('actor.user.uid', user?.uid as string | undefined, observableTypes.userUid);
  observe('actor.user.credential_uid', user?.credential_uid as string | undefined, observableTypes.credentialUid);
  observe('metadata.tenant_uid', event.tenant, observableTypes.tenantUid);
  resources.forEach((resource, index) => observe(`resources[${index}].uid`, resource.uid, observableTypes.resourceUid));
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
    status_code: http ? String(http.status) : undefined,
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
      user,
      app_name: event.actor.kind === 'system' ? 'Switchboard' : undefined,
      authorizations: [{ decision: failure ? 'Deny' : 'Allow' }],
      idp: event.actor.kind === 'jwt' ? { name: 'OIDC' } : undefined,
      session: event.actor.id ? { uid: event.actor.id, credential_uid: event.actor.id } : undefined,
    },
    api: {
      // The HTTP operation (OpenAPI operationId); events recorded outside a request (the reaper) name their audit type.
      operation: http ? http.operationId : event.type,
      service: { name: event.provider ? `switchboard/${event.provider}` : 'switchboard' },
      request: event.requestId ? { uid: event.requestId } : undefined,
      response: http ? { code: http.status } : undefined,
    },
    http_request: http ? { http_method: http.method, url: { path: http.route } } : undefined,
    // The caller as the broker saw it; an event without a caller (the reaper, boot) comes from the broker itself.
    src_endpoint: http?.clientIp ? { ip: http.clientIp, port: http.clientPort ?? undefined } : { name: 'switchboard' },
    resources: resources.length ? resources : undefined,
    observables: observables.length ? observables : undefined,
    unmapped: {
      switchboard: {
        type: event.type,
        provider_session: event.providerSession,
        detail: event.detail,
        hash: event.hash,
        prev_hash: event.prevHash,
        key_id: event.keyId,
      },
    },
  };
}
