import { z } from 'zod';
import { providerIds } from '#libs/runtime-spec';
import { idParam } from '../http/id-param.js';
import { pageOf, pageQuery } from '../http/pagination.js';

export const sessionStatuses = ['provisioning', 'idle', 'active', 'terminated'] as const;
export type SessionStatus = (typeof sessionStatuses)[number];
export const terminationReasons = ['client', 'idle_timeout', 'max_lifetime', 'provider', 'budget', 'admin', 'error'] as const;
export type TerminationReason = (typeof terminationReasons)[number];

export const createSessionBody = z.strictObject({
  agent: z.string().min(1).max(100).describe('An agent id or name'),
  provider: z.enum(providerIds).optional().describe("Defaults to the agent's defaultProvider"),
  metadata: z
    .record(z.string().max(64), z.unknown())
    .refine((value) => JSON.stringify(value).length <= 16_384, 'must serialise to at most 16 KiB')
    .optional(),
  idleTimeoutSeconds: z.number().int().min(60).max(2_592_000).optional(),
  maxLifetimeSeconds: z.number().int().min(60).max(2_592_000).optional(),
}).meta({ id: 'CreateSessionRequest' });
export type CreateSessionBody = z.infer<typeof createSessionBody>;

export const usageView = z.object({
  turns: z.number().int(),
  inputTokens: z.number().int(),
  outputTokens: z.number().int(),
  activeSeconds: z.number(),
  costUsd: z.string(),
}).meta({ id: 'SessionUsage' });

export const sessionView = z.object({
  id: z.string(),
  agent: z.object({ id: z.string(), name: z.string() }),
  provider: z.enum(providerIds),
  user: z.string(),
  status: z.enum(sessionStatuses),
  terminationReason: z.enum(terminationReasons).nullable(),
  metadata: z.record(z.string(), z.unknown()),
  createdAt: z.string(),
  lastActivityAt: z.string(),
  idleExpiresAt: z.string().nullable(),
  expiresAt: z.string().nullable(),
  endedAt: z.string().nullable(),
  idleTimeoutSeconds: z.number().int(),
  maxLifetimeSeconds: z.number().int(),
  providerSession: z.object({ id: z.string() }).nullable(),
  usage: usageView,
}).meta({ id: 'Session' });
export type SessionView = z.infer<typeof sessionView>;

export const sessionIdParams = z.strictObject({ id: idParam('ses') });

export const listSessionsQuery = z.strictObject({
  status: z.enum(sessionStatuses).optional(),
  agent: z.string().max(100).optional(),
  provider: z.enum(providerIds).optional(),
  ...pageQuery,
});
export type ListSessionsQuery = z.infer<typeof listSessionsQuery>;
export const sessionPage = pageOf(sessionView).meta({ id: 'SessionPage' });

const textPart = z.strictObject({ type: z.literal('text'), text: z.string().min(1).max(200_000) });
/** A decision on a tool call an earlier turn's `approval.requested` event asked about (API.md §4 "Tool approvals"). */
export const approvalDecision = z.strictObject({
  toolCallId: z.string().min(1).max(512),
  decision: z.enum(['allow', 'deny']),
  message: z.string().min(1).max(4_000).optional(),
}).meta({ id: 'ApprovalDecision' });
export const turnBody = z
  .strictObject({
    input: z.union([z.string().min(1).max(200_000), z.array(textPart).min(1).max(100)]).optional(),
    approvals: z.array(approvalDecision).min(1).max(100).optional(),
  })
  .refine((body) => body.input !== undefined || body.approvals !== undefined, { message: 'a turn needs input, approvals or both', path: ['input'] })
  .meta({ id: 'TurnRequest' });
export type TurnBody = z.infer<typeof turnBody>;

export const eventTypes = [
  'turn.started',
  'message.delta',
  'message.completed',
  'tool.call',
  'tool.result',
  'approval.requested',
  'turn.completed',
  'turn.failed',
] as const;
export type EventType = (typeof eventTypes)[number];

/** An event as the broker builds it; clients see it as `sessionEvent` (session-event.schemas.ts), typed by `type`. */
export const sessionEventView = z.object({
  id: z.string(),
  sessionId: z.string(),
  turnId: z.string().nullable(),
  seq: z.number().int(),
  type: z.enum(eventTypes),
  at: z.string(),
  data: z.record(z.string(), z.unknown()),
});
export type SessionEventView = z.infer<typeof sessionEventView>;

export const listEventsQuery = z.strictObject({
  after: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(1000).default(200),
});

/** A turn's status once it ended; `requires_action`: it completed waiting for approvals (API.md §4). */
export const turnStatuses = ['completed', 'failed', 'requires_action'] as const;
export type TurnStatus = (typeof turnStatuses)[number];

const turnUsage = z
  .object({
    inputTokens: z.number().int(),
    outputTokens: z.number().int(),
    activeSeconds: z.number(),
    // Usage detail (API.md §4): only when it says something.
    cacheReadInputTokens: z.number().int().optional(),
    cacheWriteInputTokens: z.number().int().optional(),
    usageReported: z.literal(false).optional(),
    compute: z.object({ vcpuSeconds: z.number(), gibSeconds: z.number(), estimated: z.boolean() }).optional(),
  })
  .meta({ id: 'TurnUsage' });

export const turnView = z.object({
  turn: z.object({
    id: z.string(),
    status: z.enum(turnStatuses),
    output: z.array(z.object({ type: z.literal('text'), text: z.string() })),
    usage: turnUsage,
    durationMs: z.number().int(),
    error: z.object({ code: z.string(), message: z.string() }).optional(),
  }).meta({ id: 'FinishedTurn' }),
}).meta({ id: 'TurnResult' });
export type TurnView = z.infer<typeof turnView>;

/** A turn as a resource (GET /v1/sessions/{id}/turns/{turnId}): the JSON answer's view, also while it runs. */
export const turnResourceView = z.object({
  turn: turnView.shape.turn.extend({
    status: z.enum(['running', ...turnStatuses]),
    durationMs: z.number().int().nullable().describe('null while the turn runs'),
  }).meta({ id: 'Turn' }),
}).meta({ id: 'TurnResponse' });
export type TurnResourceView = z.infer<typeof turnResourceView>;

export const turnIdParams = z.strictObject({ id: idParam('ses'), turnId: idParam('trn') });

export const turnEventsQuery = z.strictObject({
  after: z.coerce.number().int().min(0).optional().describe('Replay after this seq (as Last-Event-ID); the header wins when both are given'),
  limit: z.coerce.number().int().min(1).max(1000).default(200).describe('JSON mode: events per page'),
});
export type TurnEventsQuery = z.infer<typeof turnEventsQuery>;
