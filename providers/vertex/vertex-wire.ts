import { z } from 'zod';

/**
 * Minimal schemas for what the adapter reads from Vertex AI Agent Engine;
 * unknown fields are tolerated. The SDK hands streamed `google.api.HttpBody`
 * messages over as opaque bytes, and ADK events inside them are whatever the
 * deployed agent wrote, so both are parsed here.
 */

/** One message of `streamQueryReasoningEngine` as the gRPC client decodes it. */
export const httpBodySchema = z.looseObject({
  contentType: z.string().nullish(),
  data: z.instanceof(Uint8Array).nullish(),
});

/** `Session` from `getSession` (the fields the adapter reads). */
export const vertexSessionSchema = z.looseObject({
  name: z.string().min(1),
  userId: z.string().nullish(),
});

const functionCall = z.looseObject({ id: z.string().nullish(), name: z.string(), args: z.unknown().optional() });
const functionResponse = z.looseObject({ id: z.string().nullish(), name: z.string(), response: z.unknown().optional() });

/** A `google.genai.types.Part` as ADK dumps it (snake_case, unset fields absent). */
export const adkPartSchema = z.looseObject({
  text: z.string().nullish(),
  thought: z.boolean().nullish(),
  function_call: functionCall.nullish(),
  function_response: functionResponse.nullish(),
});

export const adkUsageSchema = z.looseObject({
  prompt_token_count: z.number().nonnegative().nullish(),
  candidates_token_count: z.number().nonnegative().nullish(),
  thoughts_token_count: z.number().nonnegative().nullish(),
  tool_use_prompt_token_count: z.number().nonnegative().nullish(),
});

/**
 * An ADK `Event` as `AdkApp.async_stream_query` streams it
 * (`event.model_dump(mode="json", exclude_none=True)`).
 * https://google.github.io/adk-docs/events/
 */
export const adkEventSchema = z.looseObject({
  id: z.string().nullish(),
  invocation_id: z.string().nullish(),
  author: z.string().nullish(),
  partial: z.boolean().nullish(),
  turn_complete: z.boolean().nullish(),
  content: z.looseObject({ role: z.string().nullish(), parts: z.array(adkPartSchema).nullish() }).nullish(),
  usage_metadata: adkUsageSchema.nullish(),
  error_code: z.union([z.string(), z.number()]).nullish(),
  error_message: z.string().nullish(),
  long_running_tool_ids: z.array(z.string()).nullish(),
  actions: z
    .looseObject({
      skip_summarization: z.boolean().nullish(),
      /** Tool calls (by function call id) whose tool asked for a confirmation instead of running (`ToolConfirmation`s). */
      requested_tool_confirmations: z.record(z.string(), z.unknown()).nullish(),
    })
    .nullish(),
});

export type AdkEvent = z.infer<typeof adkEventSchema>;
export type AdkUsage = z.infer<typeof adkUsageSchema>;
