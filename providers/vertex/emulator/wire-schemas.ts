import { z } from 'zod';

/**
 * The request messages the emulator reads, as @grpc/proto-loader decodes them
 * (snake_case, int64 as strings, unset fields absent). Minimal and tolerant of
 * unknown fields, like the adapter's own schemas.
 */
const int64 = z.union([z.string(), z.number()]).transform(Number);
const timestamp = z.looseObject({ seconds: int64.optional(), nanos: z.number().optional() });
const struct = z.looseObject({ fields: z.record(z.string(), z.unknown()).optional() });

export const createSessionRequest = z.looseObject({
  parent: z.string().default(''),
  session_id: z.string().optional(),
  session: z
    .looseObject({
      user_id: z.string().optional(),
      display_name: z.string().optional(),
      labels: z.record(z.string(), z.string()).optional(),
      session_state: struct.optional(),
      ttl: timestamp.optional(),
      expire_time: timestamp.optional(),
    })
    .optional(),
});

export const nameRequest = z.looseObject({ name: z.string().default('') });

export const listSessionsRequest = z.looseObject({
  parent: z.string().default(''),
  page_size: z.number().int().optional(),
  page_token: z.string().optional(),
  filter: z.string().optional(),
});

export const listEventsRequest = z.looseObject({
  parent: z.string().default(''),
  page_size: z.number().int().optional(),
  page_token: z.string().optional(),
});

export const appendEventRequest = z.looseObject({
  name: z.string().default(''),
  event: z
    .looseObject({
      author: z.string().optional(),
      invocation_id: z.string().optional(),
      timestamp: timestamp.optional(),
      content: z.unknown().optional(),
    })
    .optional(),
});

export const streamQueryRequest = z.looseObject({
  name: z.string().default(''),
  class_method: z.string().optional(),
  input: struct.optional(),
});

/** What AdkApp's `async_stream_query(message, user_id, session_id, run_config)` reads from `input`. */
export const streamQueryInput = z.looseObject({
  user_id: z.string().min(1, 'input.user_id is required'),
  session_id: z.string().optional(),
  /** RunConfig as a dict; `streaming_mode: "sse"` asks ADK for partial events (NONE, the default, gives complete events only). */
  run_config: z.looseObject({ streaming_mode: z.string().nullish() }).nullish(),
  message: z.union([
    z.string(),
    z.looseObject({
      parts: z.array(
        z.looseObject({
          text: z.string().optional(),
          /** The answer to an `adk_request_confirmation` call: `response` is a ToolConfirmation (`confirmed`). */
          function_response: z.looseObject({ id: z.string().nullish(), name: z.string(), response: z.looseObject({ confirmed: z.boolean().optional() }).nullish() }).optional(),
        }),
      ),
    }),
  ]),
});

/** Milliseconds of a proto Timestamp or Duration as decoded above. */
export function millisOf(value: { seconds?: number; nanos?: number } | undefined): number | undefined {
  if (!value) return undefined;
  return (value.seconds ?? 0) * 1000 + Math.floor((value.nanos ?? 0) / 1e6);
}

/** A proto Timestamp for epoch milliseconds. */
export function timestampOf(ms: number): { seconds: string; nanos: number } {
  return { seconds: String(Math.floor(ms / 1000)), nanos: (ms % 1000) * 1e6 };
}
