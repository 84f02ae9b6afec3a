import { z } from 'zod';

/**
 * Minimal schemas for the parts of Claude Managed Agents payloads the adapter
 * reads; unknown fields are tolerated. The SDK yields stream events without
 * validating them, so the adapter does.
 * Event reference: https://platform.claude.com/docs/en/managed-agents/events-and-streaming
 */
const text = z.object({ type: z.literal('text'), text: z.string() });
const contentBlock = z.union([text, z.looseObject({ type: z.string() })]);

/**
 * `BetaManagedAgentsSessionUsage` (the session's `usage`) and the
 * `session.usage` event's snapshot: cumulative over the session. Input,
 * cache reads and cache writes are disjoint; writes come by cache lifetime.
 */
export const sessionUsageSchema = z.looseObject({
  input_tokens: z.number().nonnegative().default(0),
  output_tokens: z.number().nonnegative().default(0),
  cache_read_input_tokens: z.number().nonnegative().default(0),
  cache_creation: z
    .looseObject({
      ephemeral_5m_input_tokens: z.number().nonnegative().default(0),
      ephemeral_1h_input_tokens: z.number().nonnegative().default(0),
    })
    .nullish(),
  /**
   * Cache writes as one total, how the Managed Agents docs show the session's
   * usage (events-and-streaming, "Fetch the session after it goes idle"); the
   * SDK 1.11 type has only the per-TTL `cache_creation`. Read when that is absent.
   */
  cache_creation_input_tokens: z.number().nonnegative().optional(),
  active_seconds: z.number().nonnegative().optional(),
});
export type ClaudeSessionUsage = z.infer<typeof sessionUsageSchema>;

export const claudeSessionSchema = z.looseObject({
  id: z.string(),
  status: z.string(),
  archived_at: z.string().nullable().optional(),
  /** String values the broker wrote at creation (`switchboard_session`...), read back to find orphans. */
  metadata: z.record(z.string(), z.unknown()).nullish(),
  usage: sessionUsageSchema.optional(),
  stats: z.looseObject({ active_seconds: z.number().optional() }).optional(),
});

export const streamEventSchema = z.discriminatedUnion('type', [
  z.looseObject({
    type: z.literal('event_delta'),
    delta: z.looseObject({ content: z.looseObject({ type: z.string(), text: z.string().optional() }).optional() }),
  }),
  z.looseObject({ type: z.literal('agent.message'), content: z.array(contentBlock) }),
  z.looseObject({
    type: z.enum(['agent.tool_use', 'agent.mcp_tool_use', 'agent.custom_tool_use']),
    id: z.string(),
    name: z.string(),
    input: z.unknown(),
    /** `ask`: the call waits for a `user.tool_confirmation` (its permission policy asks). */
    evaluated_permission: z.string().nullish(),
  }),
  z.looseObject({ type: z.literal('agent.tool_result'), tool_use_id: z.string(), content: z.unknown().optional(), is_error: z.boolean().nullish() }),
  z.looseObject({ type: z.literal('agent.mcp_tool_result'), mcp_tool_use_id: z.string(), content: z.unknown().optional(), is_error: z.boolean().nullish() }),
  z.looseObject({ type: z.literal('session.usage'), usage: sessionUsageSchema }),
  z.looseObject({
    type: z.literal('session.status_idle'),
    /** `requires_action` names the events the agent is blocked on in `event_ids`. */
    stop_reason: z.looseObject({ type: z.string(), event_ids: z.array(z.string()).optional() }).nullish(),
  }),
  z.looseObject({
    type: z.literal('session.error'),
    error: z.looseObject({
      type: z.string(),
      message: z.string().optional(),
      retry_status: z.looseObject({ type: z.string() }).optional(),
    }),
  }),
  z.looseObject({ type: z.enum(['session.status_terminated', 'session.deleted']) }),
]);
export type ClaudeStreamEvent = z.infer<typeof streamEventSchema>;

/**
 * What a target check reads of an agent or environment (`agents.retrieve`,
 * `environments.retrieve`): an archived one no longer starts sessions.
 * https://platform.claude.com/docs/en/managed-agents/agents
 */
export const claudeSetupObjectSchema = z.looseObject({ id: z.string(), archived_at: z.string().nullable().optional() });
