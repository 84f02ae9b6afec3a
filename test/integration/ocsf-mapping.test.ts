import { test } from 'node:test';
import assert from 'node:assert/strict';
import { auditEventTypes } from '../../apps/broker/src/audit/audit-log.js';
import type { AuditEventView } from '../../apps/broker/src/audit/audit.schemas.js';
import { ocsfActivityOf, toOcsfApiActivity } from '../../apps/broker/src/audit/ocsf-mapper.js';
import { observableTypes, validateOcsfEvent } from '../support/ocsf-validator.js';

/**
 * Every audit type's OCSF activity, pinned: what happened to the resource
 * (a turn creates, a termination deletes, a read reads), denials included
 * (a denied termination is a denied Delete). Written from the semantics,
 * not copied from the mapper: a new audit type with no row here fails.
 */
type Expected = 'Create' | 'Read' | 'Update' | 'Delete' | 'Other';
// A mapped OCSF record, read field by field.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type OcsfRecord = Record<string, any>;
const cases: Array<{ type: string; detail?: Record<string, unknown>; expected: Expected }> = [
  { type: 'session.bound', expected: 'Create' },
  { type: 'session.accessed', detail: { action: 'turn' }, expected: 'Create' },
  { type: 'session.accessed', detail: { action: 'provisioned' }, expected: 'Create' },
  { type: 'session.accessed', detail: { action: 'get' }, expected: 'Read' },
  { type: 'session.accessed', detail: { action: 'events' }, expected: 'Read' },
  { type: 'session.accessed', detail: { action: 'terminate' }, expected: 'Delete' },
  { type: 'session.accessed', detail: { action: 'admin_terminate' }, expected: 'Delete' },
  { type: 'session.terminated', detail: { reason: 'client' }, expected: 'Delete' },
  { type: 'session.terminated', detail: { reason: 'admin' }, expected: 'Delete' },
  { type: 'access.denied', detail: { resource: 'session', action: 'get' }, expected: 'Read' },
  { type: 'access.denied', detail: { resource: 'session', action: 'events' }, expected: 'Read' },
  { type: 'access.denied', detail: { resource: 'session', action: 'turn' }, expected: 'Create' },
  { type: 'access.denied', detail: { resource: 'session', action: 'terminate' }, expected: 'Delete' },
  { type: 'access.denied', detail: { resource: 'session', action: 'admin_terminate' }, expected: 'Delete' },
  { type: 'access.denied', detail: { resource: 'agent', action: 'create_session' }, expected: 'Create' },
  { type: 'access.denied', detail: { resource: 'agent', action: 'get' }, expected: 'Read' },
  { type: 'access.denied', detail: { resource: 'agent', action: 'update' }, expected: 'Update' },
  { type: 'access.denied', detail: { resource: 'agent', action: 'delete' }, expected: 'Delete' },
  { type: 'access.denied', detail: { resource: 'api_key', action: 'revoke' }, expected: 'Delete' },
  { type: 'limit.denied', detail: { code: 'limit_exceeded' }, expected: 'Create' },
  { type: 'credential.created', detail: { keyId: 'key_1' }, expected: 'Create' },
  { type: 'credential.revoked', detail: { keyId: 'key_1' }, expected: 'Delete' },
  { type: 'credential.rotated', detail: { keyId: 'key_1', newKeyId: 'key_2', graceSeconds: 60 }, expected: 'Update' },
  { type: 'credential.expired', detail: { keyId: 'key_1' }, expected: 'Other' },
  { type: 'limits.changed', detail: { scope: 'tenant', changes: {} }, expected: 'Update' },
  { type: 'limits.changed', detail: { scope: 'user', changes: {} }, expected: 'Update' },
  { type: 'limits.changed', detail: { scope: 'user', removed: true }, expected: 'Delete' },
  { type: 'agent.changed', detail: { action: 'created', agentId: 'agt_1' }, expected: 'Create' },
  { type: 'agent.changed', detail: { action: 'updated', agentId: 'agt_1' }, expected: 'Update' },
  { type: 'agent.changed', detail: { action: 'deleted', agentId: 'agt_1' }, expected: 'Delete' },
  { type: 'tenant.created', detail: { name: 'acme' }, expected: 'Create' },
  { type: 'target.granted', detail: { grantId: 'tgr_1', provider: 'claude' }, expected: 'Create' },
  { type: 'target.revoked', detail: { grantId: 'tgr_1', provider: 'claude' }, expected: 'Delete' },
  { type: 'target.denied', detail: { action: 'create_agent', scopes: [] }, expected: 'Create' },
  { type: 'target.denied', detail: { action: 'update_agent', agentId: 'agt_1', scopes: [] }, expected: 'Update' },
  { type: 'target.denied', detail: { action: 'create_session', agentId: 'agt_1', scopes: [] }, expected: 'Create' },
  { type: 'approval.decided', detail: { action: 'decide', toolCallId: 'toolu_1', decision: 'allow', implicit: false }, expected: 'Update' },
  { type: 'approval.decided', detail: { action: 'decide', toolCallId: 'toolu_1', decision: 'deny', implicit: true }, expected: 'Update' },
  { type: 'user.erased', detail: { sessions: 2, auditEvents: 9 }, expected: 'Delete' },
  { type: 'webhook.changed', detail: { action: 'created', webhookId: 'whk_1' }, expected: 'Create' },
  { type: 'webhook.changed', detail: { action: 'updated', webhookId: 'whk_1' }, expected: 'Update' },
  { type: 'webhook.changed', detail: { action: 'deleted', webhookId: 'whk_1' }, expected: 'Delete' },
  { type: 'webhook.disabled', detail: { webhookId: 'whk_1', reason: 'retries_exhausted' }, expected: 'Update' },
];
const denials = new Set(['access.denied', 'limit.denied', 'target.denied', 'credential.expired']);

const eventOf = (type: string, detail: Record<string, unknown> = {}): AuditEventView => ({
  id: 'aud_1', seq: 1, at: '2026-12-03T10:00:00.000Z', type, tenant: 'ten_1', user: 'alice', actor: { kind: 'api_key', id: 'key_app' },
  session: 'ses_1', provider: 'claude', providerSession: 'sesn_abc', requestId: 'req_1', detail, keyId: 'k1',
  http: { method: 'POST', route: '/v1/sessions/:id/turns', operationId: 'createTurn', status: denials.has(type) ? 404 : 200, clientIp: '203.0.113.7', clientPort: 51234 },
  hash: 'h', prevHash: 'p',
});

test('every audit type has an OCSF activity, pinned here (a new type without a row fails)', () => {
  const unpinned = auditEventTypes.filter((type) => !cases.some((entry) => entry.type === type));
  assert.deepEqual(unpinned, [], `audit types without a pinned OCSF activity: add them to this table and to ocsfActivityOf`);
  assert.deepEqual(Object.keys(ocsfActivityOf).sort(), [...auditEventTypes].sort(), 'ocsfActivityOf maps exactly the audit types');
  for (const { type, detail, expected } of cases) {
    const ocsf = toOcsfApiActivity(eventOf(type, detail), { version: '0.1.0' });
    const where = `${type} ${JSON.stringify(detail ?? {})}`;
    assert.equal(ocsf.activity_name, expected, where);
    assert.equal(ocsf.status, denials.has(type) ? 'Failure' : 'Success', where);
    assert.deepEqual(validateOcsfEvent(ocsf, 'api_activity'), [], where);
  }
});

test('an unknown type or action maps to Other, never to a guess', () => {
  assert.equal(toOcsfApiActivity(eventOf('not.a.type'), { version: '0.1.0' }).activity_id, 99);
  assert.equal(toOcsfApiActivity(eventOf('access.denied', { action: 'teleport' }), { version: '0.1.0' }).activity_id, 99);
});

test('src_endpoint, api operation and response, actor user and observables', () => {
  const ocsf = toOcsfApiActivity(eventOf('session.accessed', { action: 'turn' }), { version: '0.1.0' }) as OcsfRecord;
  assert.deepEqual(ocsf.src_endpoint, { ip: '203.0.113.7', port: 51234 });
  assert.equal(ocsf.api.operation, 'createTurn');
  assert.deepEqual(ocsf.api.response, { code: 200 });
  assert.deepEqual(ocsf.http_request, { http_method: 'POST', url: { path: '/v1/sessions/:id/turns' } });
  assert.equal(ocsf.actor.user.uid, 'alice');
  const observed = Object.fromEntries((ocsf.observables as Array<{ name: string; type_id: number; value: string }>).map((item) => [item.name, [item.type_id, item.value]]));
  assert.deepEqual(observed, {
    'src_endpoint.ip': [2, '203.0.113.7'],
    'actor.user.uid': [31, 'alice'],
    'actor.user.credential_uid': [19, 'key_app'],
    'metadata.tenant_uid': [99, 'ten_1'],
    'resources[0].uid': [10, 'ses_1'],
    'resources[1].uid': [10, 'sesn_abc'],
  });
  // An admin key with no end user is still a user behind the event; the reaper is not.
  const admin = toOcsfApiActivity({ ...eventOf('credential.created'), user: null, actor: { kind: 'api_key', id: 'key_admin' } }, { version: '0.1.0' }) as OcsfRecord;
  assert.equal(admin.actor.user.uid, 'key_admin');
  const reaper = toOcsfApiActivity({ ...eventOf('session.terminated'), user: null, actor: { kind: 'system', id: null }, http: null }, { version: '0.1.0' }) as OcsfRecord;
  assert.equal(reaper.actor.user, undefined);
  assert.deepEqual(reaper.src_endpoint, { name: 'switchboard' });
  assert.equal(reaper.api.operation, 'session.terminated');
  assert.deepEqual(validateOcsfEvent(reaper, 'api_activity'), []);
});

test('the OCSF validator fails on broken copies, per rule class', () => {
  const good = toOcsfApiActivity(eventOf('session.accessed', { action: 'turn' }), { version: '0.1.0' }) as OcsfRecord;
  assert.deepEqual(validateOcsfEvent(good, 'api_activity'), []);
  const broken = (change: (event: OcsfRecord) => void) => {
    const copy = structuredClone(good);
    change(copy);
    return validateOcsfEvent(copy, 'api_activity').join('\n');
  };
  assert.match(broken((event) => delete event.api), /api is required/);
  assert.match(broken((event) => (event.src_endpoint = { port: 1 })), /src_endpoint needs at least one of ip/);
  assert.match(broken((event) => (event.actor = { authorizations: [] })), /actor needs at least one of/);
  assert.match(broken((event) => (event.activity_name = 'Read')), /activity_name = "Read" is not the caption of activity_id 1/);
  assert.match(broken((event) => (event.severity = 'High')), /severity = "High" is not the caption/);
  assert.match(broken((event) => (event.activity_id = 7)), /activity_id = 7 is not in its enum/);
  assert.match(broken((event) => (event.observables[0].type_id = 4242)), /not an observable type/);
  assert.match(broken((event) => (event.observables[0].type = 'Hostname')), /is not the caption of type_id 2/);
  assert.match(broken((event) => (event.observables[0].name = 'src_endpoint.hostname')), /points at no attribute/);
  assert.match(broken((event) => (event.observables[0].value = '198.51.100.1')), /is not the value of src_endpoint.ip/);
  assert.match(broken((event) => (event.observables[0].type_id = 10) && (event.observables[0].type = 'Resource UID')), /the schema types it 2/);
  assert.match(broken((event) => (event.metadata.version = '2.0.0')), /not compatible/);
  assert.match(broken((event) => (event.metadata.version = '1.99.0')), /not compatible/);
  assert.match(broken((event) => (event.src_endpoint.credential = 'api_key')), /src_endpoint.credential is not an attribute here/);
  assert.match(broken((event) => (event.src_endpoint.ip = 'api_key')), /src_endpoint.ip must be ip_t/);
  assert.match(broken((event) => (event.type_uid = 600302)), /type_uid must be/);
  // Valid observables are accepted: their type ids come from the whole schema, not observable.json's 0/99.
  assert.equal(observableTypes.get(2), 'IP Address');
  assert.equal(observableTypes.get(31), 'User: Unique ID');
});
