import type { RuntimeEvent } from '#libs/runtime-spec';
import { z } from 'zod';
import { adkEventSchema, httpBodySchema, type AdkEvent } from './vertex-wire.js';

const confirmationArgsSchema = z.looseObject({ originalFunctionCall: z.looseObject({ id: z.string(), name: z.string(), args: z.unknown().optional() }) });

/** What one ADK event means for the turn in progress. */
export interface AdkStep {
  /** Portable events to yield, in order. */
  events: RuntimeEvent[];
  /** Tokens of the model call this event closes (non-partial events only). */
  usage?: { inputTokens: number; outputTokens: number };
  /**
   * ADK's `Event.is_final_response()`: whether this event ends the turn if
   * nothing follows. `partial` chunks never count either way.
   */
  finality: 'partial' | 'final' | 'intermediate';
  /** The agent reported a failure in-band (`error_code`). */
  error?: { code: string; message: string };
  /** Confirmations ADK asks for: the tool call (the portable `toolCallId`) and the `adk_request_confirmation` call to answer. */
  confirmations?: Array<{ toolCallId: string; confirmationId: string }>;
}

/**
 * ADK's tool confirmation (google/adk-python, flows/llm_flows/functions.py
 * `generate_request_confirmation_event`): a function call of this name whose
 * args carry `originalFunctionCall` and `toolConfirmation`; the user answers
 * it with a function response of the same name and id, `{confirmed}`.
 */
export const requestConfirmationName = 'adk_request_confirmation';

/**
 * Splits streamed `google.api.HttpBody` messages into JSON values. The wire
 * contract is only "bytes per message"; AdkApp writes one JSON event per line
 * (Google's own Python client splits `data` on "\n"), so a message may hold
 * several events, and a line cut across two messages is carried over. Lines
 * that are not JSON are handed back as text so the caller can log and skip them.
 */
export class HttpBodyDecoder {
  private carry = '';
  private readonly utf8 = new TextDecoder('utf-8');

  push(raw: unknown): Array<{ json: unknown } | { text: string }> {
    const body = httpBodySchema.safeParse(raw);
    if (!body.success || !body.data.data) return [];
    const lines = (this.carry + this.utf8.decode(body.data.data, { stream: true })).split('\n');
    this.carry = '';
    const last = lines.pop() ?? '';
    const values = lines.flatMap((line) => decodeLine(line));
    // A last line without "\n" is complete if it parses; otherwise it continues in the next message.
    const tail = decodeLine(last);
    if (tail.length === 1 && 'text' in tail[0]) this.carry = last;
    else values.push(...tail);
    return values;
  }

  /** Whatever was left unterminated when the stream ended. */
  flush(): Array<{ text: string }> {
    const rest = this.carry + this.utf8.decode();
    this.carry = '';
    return rest.trim() ? [{ text: rest }] : [];
  }
}

function decodeLine(line: string): Array<{ json: unknown } | { text: string }> {
  if (!line.trim()) return [];
  try {
    return [{ json: JSON.parse(line) as unknown }];
  } catch {
    return [{ text: line }];
  }
}

/**
 * Pure mapping of one streamed ADK event onto the portable vocabulary
 * (https://google.github.io/adk-docs/events/): partial text → `message.delta`,
 * complete text → `message.completed`, `function_call` / `function_response`
 * parts → `tool.call` / `tool.result`, `error_code` → an in-band failure.
 * Returns undefined for a value that is not an ADK event.
 */
export function mapAdkEvent(raw: unknown): AdkStep | undefined {
  const parsed = adkEventSchema.safeParse(raw);
  if (!parsed.success || typeof raw !== 'object' || raw === null || Array.isArray(raw)) return undefined;
  const event = parsed.data;
  const parts = event.content?.parts ?? [];
  const texts = parts.flatMap((part) => (typeof part.text === 'string' && part.text !== '' && !part.thought ? [part.text] : []));
  if (event.error_code !== undefined && event.error_code !== null) {
    return { events: [], finality: 'final', error: { code: providerCode(event.error_code), message: event.error_message ?? String(event.error_code) } };
  }
  if (event.partial) return { events: texts.map((text) => ({ type: 'message.delta' as const, text })), finality: 'partial' };

  const events: RuntimeEvent[] = [];
  const confirmations: NonNullable<AdkStep['confirmations']> = [];
  // A tool that asked for confirmation did not run: its placeholder error response is not a result.
  const awaitingConfirmation = new Set(Object.keys(event.actions?.requested_tool_confirmations ?? {}));
  if (texts.length > 0) events.push({ type: 'message.completed', content: texts.map((text) => ({ type: 'text' as const, text })) });
  for (const part of parts) {
    if (part.function_call?.name === requestConfirmationName) {
      const original = confirmationArgsSchema.safeParse(part.function_call.args);
      if (original.success && part.function_call.id) {
        const call = original.data.originalFunctionCall;
        events.push({ type: 'approval.requested', toolCallId: call.id, name: call.name, input: call.args ?? {} });
        confirmations.push({ toolCallId: call.id, confirmationId: part.function_call.id });
      }
    } else if (part.function_call) {
      const call = part.function_call;
      events.push({ type: 'tool.call', id: call.id ?? call.name, name: call.name, input: call.args ?? {} });
    }
    if (part.function_response && !(part.function_response.id && awaitingConfirmation.has(part.function_response.id))) {
      const response = part.function_response;
      events.push({ type: 'tool.result', id: response.id ?? response.name, output: response.response ?? null, isError: isErrorResponse(response.response) });
    }
  }
  return { events, usage: usageOf(event), finality: isFinalResponse(event) ? 'final' : 'intermediate', ...(confirmations.length > 0 ? { confirmations } : {}) };
}

/** ADK's `Event.is_final_response()`, minus code execution (not streamed by AdkApp as a separate signal). */
function isFinalResponse(event: AdkEvent): boolean {
  if (event.actions?.skip_summarization || (event.long_running_tool_ids?.length ?? 0) > 0) return true;
  const parts = event.content?.parts ?? [];
  return !event.partial && !parts.some((part) => part.function_call || part.function_response);
}

/**
 * `usage_metadata` of one model call (Gemini's GenerateContentResponse.UsageMetadata):
 * thinking tokens are billed as output, tool-use prompt tokens as input.
 */
function usageOf(event: AdkEvent): AdkStep['usage'] {
  const usage = event.usage_metadata;
  if (!usage) return undefined;
  return {
    inputTokens: (usage.prompt_token_count ?? 0) + (usage.tool_use_prompt_token_count ?? 0),
    outputTokens: (usage.candidates_token_count ?? 0) + (usage.thoughts_token_count ?? 0),
  };
}

/** ADK tools report failures as a response object with an `error` key. */
function isErrorResponse(response: unknown): boolean {
  return typeof response === 'object' && response !== null && 'error' in response;
}

function providerCode(errorCode: string | number): string {
  return `provider_${String(errorCode).toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_+|_+$/g, '') || 'agent_error'}`;
}
