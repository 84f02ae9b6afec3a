import { z } from 'zod';
import { pageOf } from '../http/pagination.js';
import { auditEventTypes } from './audit-log.js';

const isoTime = z.iso.datetime({ offset: true });

export const auditEventQuery = z.strictObject({
  user: z.string().min(1).max(256).optional(),
  session: z.string().min(1).max(64).optional(),
  type: z.enum(auditEventTypes).optional(),
  from: isoTime.optional().describe('Inclusive lower bound on `at`'),
  to: isoTime.optional().describe('Exclusive upper bound on `at`'),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  cursor: z.string().max(64).optional(),
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
  hash: z.string(),
  prevHash: z.string(),
});
export type AuditEventView = z.infer<typeof auditEventView>;
export const auditEventPage = pageOf(auditEventView);

export const bindingQuery = z.strictObject({
  user: z.string().min(1).max(256).optional(),
  status: z.enum(['provisioning', 'idle', 'active', 'terminated']).optional(),
  provider: z.string().max(32).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  cursor: z.string().max(64).optional(),
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
});
export type BindingView = z.infer<typeof bindingView>;
export const bindingPage = pageOf(bindingView);

export const verifyView = z.object({
  ok: z.boolean(),
  checked: z.number().int(),
  firstBadSeq: z.number().int().nullable(),
  reason: z.string().nullable().describe('Why the first bad seq is bad'),
});
export type VerifyView = z.infer<typeof verifyView>;

export const exportQuery = z.strictObject({
  from: isoTime.optional(),
  to: isoTime.optional(),
  format: z.enum(['jsonl', 'ocsf']).default('jsonl'),
});
export type ExportQuery = z.infer<typeof exportQuery>;

export const platformAuditQuery = auditEventQuery.extend({ tenant: z.string().min(1).max(64).optional() });
export type PlatformAuditQuery = z.infer<typeof platformAuditQuery>;
