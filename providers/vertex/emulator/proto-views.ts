import { toProtoStruct } from '../vertex-struct.js';
import type { StoredEvent, StoredSession } from './session-store.js';
import { timestampOf } from './wire-schemas.js';

/** A stored session as the `google.cloud.aiplatform.v1.Session` message (expire_time always set on output). */
export function sessionMessage(session: StoredSession): object {
  return {
    name: session.name,
    create_time: timestampOf(session.createMs),
    update_time: timestampOf(session.updateMs),
    expire_time: timestampOf(session.expireMs),
    display_name: session.displayName,
    labels: session.labels,
    session_state: toProtoStruct(session.state),
    user_id: session.userId,
  };
}

interface AdkPart {
  text?: string;
  thought?: boolean;
  function_call?: { name: string; args?: Record<string, unknown> };
  function_response?: { name: string; response?: Record<string, unknown> };
}

/**
 * A stored ADK event as the `SessionEvent` message. The v1 `FunctionCall` /
 * `FunctionResponse` messages have no `id`, so ADK's call ids survive only in
 * `raw_event`, which carries the whole ADK event.
 */
export function sessionEventMessage(event: StoredEvent): object {
  const adk = event.adk as { author?: string; invocation_id?: string; content?: { role?: string; parts?: AdkPart[] }; actions?: { state_delta?: Record<string, unknown> }; partial?: boolean; error_code?: string; error_message?: string };
  return {
    name: event.name,
    author: adk.author ?? '',
    invocation_id: adk.invocation_id ?? '',
    timestamp: timestampOf(event.timestampMs),
    ...(adk.content
      ? {
          content: {
            role: adk.content.role ?? '',
            parts: (adk.content.parts ?? []).map((part) => ({
              ...(part.text !== undefined ? { text: part.text } : {}),
              ...(part.thought ? { thought: true } : {}),
              ...(part.function_call ? { function_call: { name: part.function_call.name, args: toProtoStruct(part.function_call.args ?? {}) } } : {}),
              ...(part.function_response ? { function_response: { name: part.function_response.name, response: toProtoStruct(part.function_response.response ?? {}) } } : {}),
            })),
          },
        }
      : {}),
    ...(adk.actions?.state_delta ? { actions: { state_delta: toProtoStruct(adk.actions.state_delta) } } : {}),
    ...(adk.error_code ? { error_code: adk.error_code, error_message: adk.error_message ?? '' } : {}),
    event_metadata: { partial: adk.partial ?? false },
    raw_event: toProtoStruct(event.adk),
  };
}
