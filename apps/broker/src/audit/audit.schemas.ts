import { z } from 'zod';
import { pageOf } from '../http/pagination.js';
import { userIdSchema } from '../identity/user-id.js';
import { auditEventTypes } from './audit-log.js';

const isoTime = z.iso.datetime({ offset: true });

export const auditEventQuery = z.strictObject({
  user: userIdSchema.optional(),
  session: z.string().min(1).max(64).optional(),
  type: z.enum(auditEventTypes).optional(),
  from: isoTime.optional().describe('Inclusive lower bound on `at`'),
  to: isoTime.optional().describe('Exclusive upper bound on `at`'),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  cursor: z.string().max(200).optional(),
});
export type AuditEventQuery = z.infer<typeof auditEventQuery>;

export const auditEventView = z.object({
  id: z.string(),
  seq: z.number().int(),
  at: z.string(),
  type: z.string(),
  tenant: z.string(),
  user: z.string().nullable(),
  actor: z.object({ kind: z.enum(['api_key', 'jwt', 'operator', 'system']), id: z.string().nullable() }),
  session: z.string().nullable(),
  provider: z.string().nullable(),
  providerSession: z.string().nullable(),
  requestId: z.string().nullable(),
  detail: z.record(z.string(), z.unknown()),
  keyId: z.string().nullable().describe('The audit key that chained the event (its hash is an HMAC with that key); null: a legacy event, chained with plain SHA-256'),
  http: z
    .object({
      method: z.string(),
      route: z.string().describe('The route template, e.g. /v1/sessions/:id'),
      operationId: z.string(),
      status: z.number().int().describe('The HTTP status the request answered with this event'),
      clientIp: z.string().nullable().describe('The caller as the broker saw it (the socket peer, or the forwarded client when HTTP_TRUST_PROXY_HOPS trusts the proxy)'),
      clientPort: z.number().int().nullable().describe('The peer port; null when the address came from X-Forwarded-For'),
    })
    .nullable()
    .optional()
    .describe('The HTTP operation the event was recorded in; null outside a request (reaper, boot) and for events recorded before it was kept. Covered by the hash when present'),
  erasure: z
    .object({
      at: z.string().describe('When a user the event named was erased (POST /v1/users/{userId}/erase)'),
      keyId: z.string().describe('The audit key that sealed the erased form'),
      seal: z.string().describe('HMAC-SHA256 with that key over the event as it reads now together with its unchanged hash'),
    })
    .nullable()
    .optional()
    .describe('Present once a user the event named was erased: `user` and `detail` show a pseudonym, `hash` is the original one (the chain and checkpoints are unchanged), and verification checks the event by this seal'),
  hash: z.string(),
  prevHash: z.string(),
}).meta({ id: 'AuditEvent' });
export type AuditEventView = z.infer<typeof auditEventView>;
export const auditEventPage = pageOf(auditEventView).meta({ id: 'AuditEventPage' });

export const bindingQuery = z.strictObject({
  user: userIdSchema.optional(),
  status: z.enum(['provisioning', 'idle', 'active', 'terminated']).optional(),
  provider: z.string().max(32).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  cursor: z.string().max(200).optional(),
});
export type BindingQuery = z.infer<typeof bindingQuery>;

export const bindingView = z.object({
  user: z.string(),
  session: z.string(),
  provider: z.string(),
  providerSession: z.string().nullable(),
  agent: z.object({ id: z.string(), name: z.string() }),
  status: z.string(),
  terminationReason: z.string().nullable(),
  boundAt: z.string(),
  endedAt: z.string().nullable(),
}).meta({ id: 'Binding' });
export type BindingView = z.infer<typeof bindingView>;
export const bindingPage = pageOf(bindingView).meta({ id: 'BindingPage' });

export const auditCheckpointView = z
  .strictObject({
    tenant: z.string().min(1).max(64),
    seq: z.number().int().min(1),
    hash: z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex digits'),
    at: isoTime,
    keyId: z.string().min(1).max(64),
    signature: z.string().regex(/^[A-Za-z0-9_-]{86}$/, 'must be a base64url Ed25519 signature'),
  })
  .describe(
    'A signed statement that the chain had `hash` at `seq`: Ed25519 (the key `keyId` of GET /v1/audit/checkpoint-keys) over the canonical JSON of {at, hash, keyId, seq, tenant} (keys sorted, no whitespace)',
  )
  .meta({ id: 'AuditCheckpoint' });
export type AuditCheckpointView = z.infer<typeof auditCheckpointView>;
export const auditCheckpointPage = pageOf(auditCheckpointView).meta({ id: 'AuditCheckpointPage' });

export const checkpointQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  cursor: z.string().max(200).optional(),
});
export type CheckpointQuery = z.infer<typeof checkpointQuery>;

export const checkpointKeysView = z.object({
  keys: z.array(
    z.object({ kty: z.literal('OKP'), crv: z.literal('Ed25519'), x: z.string(), kid: z.string(), alg: z.literal('EdDSA'), use: z.literal('sig') }),
  ),
}).meta({ id: 'CheckpointKeys' });

export const verifyBody = z.strictObject({
  checkpoints: z.array(auditCheckpointView).max(1000).describe('Checkpoints kept outside the database (from the log, the API or an export)'),
}).meta({ id: 'VerifyAuditRequest' });
export type VerifyBody = z.infer<typeof verifyBody>;

export const verifyView = z.object({
  ok: z.boolean(),
  checked: z.number().int(),
  firstBadSeq: z.number().int().nullable(),
  reason: z.string().nullable().describe('Why the first bad seq is bad, or why the chain could not be fully checked'),
  checkpointsMatched: z.number().int().describe('Signed checkpoints (stored and given) the chain matched'),
  legacyThroughSeq: z.number().int().nullable().describe('Events 1..N carry the legacy unkeyed hash (from before keyed chains); null when none do'),
  legacyAnchored: z.boolean().nullable().describe('Whether a signed checkpoint at legacyThroughSeq vouches for the legacy events (if not, ok is false)'),
  uncheckedFromSeq: z.number().int().nullable().describe('The first event keyed with a key this broker does not hold; it and later events were not checked (ok is false)'),
}).meta({ id: 'AuditVerification' });
export type VerifyView = z.infer<typeof verifyView>;

export const exportQuery = z
  .strictObject({
    from: isoTime.optional(),
    to: isoTime.optional(),
    format: z.enum(['jsonl', 'ocsf']).default('jsonl'),
    checkpoints: z
      .enum(['true', 'false'])
      .default('false')
      .transform((value) => value === 'true')
      .describe('JSON lines only: each signed checkpoint follows the event it vouches for, as a line {"checkpoint":{...}}'),
  })
  .refine((query) => !query.checkpoints || query.format === 'jsonl', { message: 'checkpoints are exported with format=jsonl only', path: ['checkpoints'] });
export type ExportQuery = z.infer<typeof exportQuery>;

export const platformAuditQuery = auditEventQuery.extend({ tenant: z.string().min(1).max(64).optional() });
export type PlatformAuditQuery = z.infer<typeof platformAuditQuery>;

/** For the OpenAPI document (checked against the schema when it is built). */
export const auditEventPageExample = {
  data: [
    {
      id: 'aud_01JDQ7Z5P8R2T4V6X8Z0B2D4F6',
      seq: 41,
      at: '2026-12-04T09:00:00.120Z',
      type: 'session.bound',
      tenant: 'ten_01JDQ7XK3M5P7R9T1V3X5Z7B9D',
      user: 'u-42',
      actor: { kind: 'api_key', id: 'key_01JDQ7XQ4N6Q8S0U2W4Y6A8C0E' },
      session: 'ses_01JDQ7Z5N3W8K2C4V6B8M0P2R4',
      provider: 'claude',
      providerSession: 'sesn_01',
      requestId: 'req_01JDQ7Z5M2V7J1B3T5A7L9N1Q3',
      detail: { agent: 'agt_01JDQ7YV5X2M9R3T6W8Z0B2D4F' },
      keyId: 'k1',
      http: { method: 'POST', route: '/v1/sessions', operationId: 'createSession', status: 201, clientIp: '203.0.113.7', clientPort: 51514 },
      hash: '9b2f6c1d3e5a7b9c0d2e4f6a8b0c1d3e5f7a9b0c2d4e6f8a0b1c3d5e7f9a1b2c',
      prevHash: '41d7e3b5c9a1f2d4e6b8c0a2e4f6d8b0c2e4a6f8d0b2c4e6a8f0d2b4c6e8a0f1',
    },
  ],
  nextCursor: null,
} satisfies z.infer<typeof auditEventPage>;
