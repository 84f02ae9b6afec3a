import { z } from 'zod';

/**
 * Minimal schemas for what an AgentCore agent container writes into the
 * InvokeAgentRuntime response body; unknown fields are tolerated. AgentCore
 * defines no vocabulary of its own (the body is the container's), so these
 * are the shapes of the SDKs agents are built with.
 */

/**
 * The in-band error of the bedrock-agentcore Python SDK: when the entrypoint's
 * generator raises, BedrockAgentCoreApp writes
 * `data: {"error": str(e), "error_type": type(e).__name__, "message": …}` and ends the stream.
 * An agent that raises an exception class named `SessionStateLost` tells
 * Switchboard that it holds no state for a session it was asked to continue.
 */
export const agentErrorSchema = z.looseObject({
  error: z.string(),
  error_type: z.string().optional(),
  message: z.string().optional(),
});
export type AgentError = z.infer<typeof agentErrorSchema>;
export const sessionStateLostErrorType = 'SessionStateLost';

const tokenUsage = z.looseObject({
  inputTokens: z.number().nonnegative().default(0),
  outputTokens: z.number().nonnegative().default(0),
});

/** Usage as the text codec accepts it: Bedrock's camelCase or the snake_case most Python agents write. */
export const textUsageSchema = z.union([
  z.looseObject({ inputTokens: z.number().nonnegative(), outputTokens: z.number().nonnegative() }),
  z.looseObject({ input_tokens: z.number().nonnegative(), output_tokens: z.number().nonnegative() }).transform((usage) => ({
    inputTokens: usage.input_tokens,
    outputTokens: usage.output_tokens,
  })),
]);

/** The text codec: `{"type":"text","text"}` chunks, ended by `{"type":"done","usage"?}`. */
export const textEventSchema = z.discriminatedUnion('type', [
  z.looseObject({ type: z.literal('text'), text: z.string() }),
  z.looseObject({ type: z.literal('done'), usage: textUsageSchema.optional() }),
]);

/** A Bedrock Converse content block inside a Strands message. */
const contentBlock = z.looseObject({
  text: z.string().optional(),
  toolUse: z.looseObject({ toolUseId: z.string(), name: z.string(), input: z.unknown().optional() }).optional(),
  toolResult: z
    .looseObject({ toolUseId: z.string(), status: z.string().optional(), content: z.unknown().optional() })
    .optional(),
});

export const strandsMessageSchema = z.looseObject({
  role: z.string(),
  content: z.array(contentBlock),
});
export type StrandsMessage = z.infer<typeof strandsMessageSchema>;

/**
 * The events of Strands' `Agent.stream_async`, as BedrockAgentCoreApp
 * serialises them (one `data:` per event), that carry portable meaning:
 * - `{"event": {contentBlockDelta: {delta: {text}}}}`: the model's raw stream (Bedrock ConverseStream shapes);
 * - `{"event": {metadata: {usage}}}`: tokens of one model call;
 * - `{"message": {role, content}}`: a complete message (assistant text and toolUse, or the user-role toolResult);
 * - `{"result": AgentResult}`: the last event of an invocation, when its AgentResult serialised (usually it arrives as a Python repr string);
 * - `{"force_stop": true, "force_stop_reason"}`: the event loop gave up.
 * https://strandsagents.com/latest/documentation/docs/user-guide/concepts/streaming/async-iterators/
 */
export const strandsEventSchema = z.looseObject({
  event: z
    .looseObject({
      contentBlockDelta: z.looseObject({ delta: z.looseObject({ text: z.string().optional() }) }).optional(),
      metadata: z.looseObject({ usage: tokenUsage.optional() }).optional(),
    })
    .optional(),
  message: strandsMessageSchema.optional(),
  result: z.unknown().optional(),
  force_stop: z.boolean().optional(),
  force_stop_reason: z.string().optional(),
});

/** The lifecycle part of the control plane's GetAgentRuntime response. */
export const agentRuntimeLifecycleSchema = z.looseObject({
  status: z.string(),
  lifecycleConfiguration: z
    .looseObject({ idleRuntimeSessionTimeout: z.number().int().positive().optional(), maxLifetime: z.number().int().positive().optional() })
    .optional(),
});

/**
 * The tokens of a whole invocation in an AgentResult that BedrockAgentCoreApp
 * could serialise as a dict (`dataclasses.asdict`): Strands keeps them in
 * `metrics.accumulated_usage` (EventLoopMetrics).
 */
export const strandsResultUsageSchema = z
  .looseObject({ metrics: z.looseObject({ accumulated_usage: z.looseObject({ inputTokens: z.number().nonnegative(), outputTokens: z.number().nonnegative() }) }) })
  .transform((result) => ({ inputTokens: result.metrics.accumulated_usage.inputTokens, outputTokens: result.metrics.accumulated_usage.outputTokens }));
