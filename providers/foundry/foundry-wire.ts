import { z } from 'zod';

/**
 * Minimal schemas for the Foundry payloads the adapter reads; unknown fields
 * are tolerated. Azure core deserializes but does not validate, and the
 * `openai` client yields stream events as they come, so the adapter checks.
 * Agents REST: https://learn.microsoft.com/rest/api/aifoundry/aiprojects/
 * Responses streaming: https://platform.openai.com/docs/api-reference/responses-streaming
 */

export const agentVersionSchema = z.looseObject({
  name: z.string(),
  version: z.string(),
  status: z.string().optional(),
  definition: z.looseObject({
    kind: z.string(),
    cpu: z.string().optional(),
    memory: z.string().optional(),
    session_configuration: z.looseObject({ idle_timeout_seconds: z.number().int().positive().optional() }).nullish(),
  }),
});
export type AgentVersionPayload = z.infer<typeof agentVersionSchema>;

/** `creating|active|idle|updating|failed|deleting|deleted|expired`; kept open for statuses added later. */
export const sessionResourceSchema = z.looseObject({
  agent_session_id: z.string(),
  status: z.string(),
  version_indicator: z.looseObject({ type: z.string(), agent_version: z.string().optional() }).optional(),
  // The SDK turns the service's unix seconds into Dates. `stopped_at`: when the sandbox last stopped or went idle ("used for accurate idle-billing reconciliation").
  created_at: z.date().optional(),
  last_accessed_at: z.date().optional(),
  stopped_at: z.date().nullish(),
});
export type SessionResourcePayload = z.infer<typeof sessionResourceSchema>;

export const conversationSchema = z.looseObject({ id: z.string() });

const textPart = z.looseObject({ type: z.string(), text: z.string().optional() });

/** The output items a turn's events carry that the portable stream shows. */
export const outputItemSchema = z.discriminatedUnion('type', [
  z.looseObject({ type: z.literal('message'), role: z.string().optional(), content: z.array(textPart).default([]) }),
  z.looseObject({ type: z.literal('function_call'), call_id: z.string(), name: z.string(), arguments: z.string().default('') }),
  z.looseObject({ type: z.literal('function_call_output'), call_id: z.string(), output: z.unknown() }),
  z.looseObject({
    type: z.literal('mcp_call'),
    id: z.string(),
    name: z.string(),
    arguments: z.string().default(''),
    output: z.string().nullish(),
    error: z.unknown().optional(),
    /** Set when the call ran after an `mcp_approval_response` allowed it. */
    approval_request_id: z.string().nullish(),
  }),
  /** An MCP tool call waiting for the client's approval (the server's `require_approval` asks). */
  z.looseObject({ type: z.literal('mcp_approval_request'), id: z.string(), name: z.string(), arguments: z.string().default(''), server_label: z.string().optional() }),
]);
export type OutputItem = z.infer<typeof outputItemSchema>;

const errorDetail = z.looseObject({ code: z.string().nullish(), message: z.string().nullish() });

export const streamEventSchema = z.discriminatedUnion('type', [
  z.looseObject({ type: z.literal('response.output_text.delta'), delta: z.string() }),
  z.looseObject({ type: z.literal('response.output_item.done'), item: z.looseObject({ type: z.string() }) }),
  z.looseObject({
    type: z.literal('response.completed'),
    response: z.looseObject({
      usage: z.looseObject({ input_tokens: z.number().nonnegative(), output_tokens: z.number().nonnegative() }).nullish(),
    }),
  }),
  z.looseObject({ type: z.literal('response.failed'), response: z.looseObject({ error: errorDetail.nullish() }) }),
  z.looseObject({
    type: z.literal('response.incomplete'),
    response: z.looseObject({ incomplete_details: z.looseObject({ reason: z.string().nullish() }).nullish() }),
  }),
  z.looseObject({ type: z.literal('error'), code: z.string().nullish(), message: z.string().nullish(), error: errorDetail.optional() }),
]);
