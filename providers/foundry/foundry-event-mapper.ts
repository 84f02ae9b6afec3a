import type { ContentPart, RuntimeEvent } from '#libs/runtime-spec';
import { outputItemSchema, streamEventSchema, type OutputItem } from './foundry-wire.js';

/** What one Responses stream event means for the turn in progress. */
export type FoundryStep =
  | { kind: 'emit'; events: RuntimeEvent[] }
  /** `response.completed`: the turn is over; tokens as the service counted them. */
  | { kind: 'completed'; usage: { inputTokens: number; outputTokens: number; usageReported?: false } }
  /** `response.failed`, `response.incomplete` or an `error` event: the turn failed in-band. */
  | { kind: 'failed'; code: string; message: string }
  | { kind: 'ignore'; type: string };

/**
 * Pure mapping of one raw Responses stream event onto the normalized
 * vocabulary. Text streams as `message.delta`; finished output items become
 * `message.completed`, `tool.call` and `tool.result` (a hosted agent runs its
 * own tools, so a function call's output arrives as a `function_call_output`
 * item in the same stream). Everything else (lifecycle, part and argument
 * deltas) is not in the portable stream.
 * https://platform.openai.com/docs/api-reference/responses-streaming
 */
export function mapFoundryEvent(raw: unknown): FoundryStep {
  const parsed = streamEventSchema.safeParse(raw);
  if (!parsed.success) return { kind: 'ignore', type: typeOf(raw) };
  const event = parsed.data;
  switch (event.type) {
    case 'response.output_text.delta':
      return event.delta ? { kind: 'emit', events: [{ type: 'message.delta', text: event.delta }] } : { kind: 'ignore', type: event.type };
    case 'response.output_item.done': {
      const item = outputItemSchema.safeParse(event.item);
      return item.success ? { kind: 'emit', events: itemEvents(item.data) } : { kind: 'ignore', type: `${event.type} (${event.item.type})` };
    }
    case 'response.completed': {
      const usage = event.response.usage;
      // A response without usage reported none: its zeros are not measurements.
      if (!usage) return { kind: 'completed', usage: { inputTokens: 0, outputTokens: 0, usageReported: false } };
      return { kind: 'completed', usage: { inputTokens: usage.input_tokens ?? 0, outputTokens: usage.output_tokens ?? 0 } };
    }
    case 'response.failed': {
      const error = event.response.error;
      return { kind: 'failed', code: `provider_${error?.code ?? 'failed'}`, message: error?.message ?? 'the agent failed the turn' };
    }
    case 'response.incomplete': {
      const reason = event.response.incomplete_details?.reason ?? 'unknown';
      return { kind: 'failed', code: 'provider_incomplete', message: `the response is incomplete: ${reason}` };
    }
    case 'error': {
      const code = event.error?.code ?? event.code ?? 'error';
      return { kind: 'failed', code: `provider_${code}`, message: event.error?.message ?? event.message ?? 'the service reported an error' };
    }
  }
}

function itemEvents(item: OutputItem): RuntimeEvent[] {
  switch (item.type) {
    case 'message': {
      if (item.role !== undefined && item.role !== 'assistant') return [];
      const content: ContentPart[] = item.content.flatMap((part) => (part.text !== undefined && (part.type === 'output_text' || part.type === 'text') ? [{ type: 'text' as const, text: part.text }] : []));
      return [{ type: 'message.completed', content }];
    }
    case 'function_call':
      return [{ type: 'tool.call', id: item.call_id, name: item.name, input: parseArguments(item.arguments) }];
    case 'function_call_output':
      return [{ type: 'tool.result', id: item.call_id, output: item.output ?? null, isError: false }];
    case 'mcp_call': {
      const failed = item.error !== undefined && item.error !== null;
      // A call a person approved keeps the id it was approved under: the portable `toolCallId`.
      const id = item.approval_request_id ?? item.id;
      return [
        { type: 'tool.call', id, name: item.name, input: parseArguments(item.arguments) },
        { type: 'tool.result', id, output: failed ? item.error : (item.output ?? null), isError: failed },
      ];
    }
    case 'mcp_approval_request':
      // The response completes with the request; the next one answers it with an `mcp_approval_response`.
      return [{ type: 'approval.requested', toolCallId: item.id, name: item.name, input: parseArguments(item.arguments) }];
  }
}

/** Tool arguments arrive as a JSON string; one that does not parse is passed on as the string it is. */
function parseArguments(text: string): unknown {
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function typeOf(raw: unknown): string {
  const type = (raw as { type?: unknown } | null)?.type;
  return typeof type === 'string' ? type : 'unknown';
}

/** The portable state of a session status read with `agents.getSession`. */
export function portableSessionState(status: string): 'provisioning' | 'active' | 'idle' | 'terminated' {
  switch (status) {
    case 'creating':
      return 'provisioning';
    case 'active':
    case 'updating':
      return 'active';
    case 'idle':
      return 'idle';
    default:
      // failed, deleting, deleted, expired, and anything unknown: nothing to run turns in.
      return 'terminated';
  }
}
