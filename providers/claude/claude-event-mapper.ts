import type { RuntimeEvent } from '#libs/runtime-spec';
import { streamEventSchema, type ClaudeSessionUsage } from './claude-wire.js';

/** What one Claude stream event means for the turn in progress. */
export type ClaudeStep =
  | { kind: 'emit'; event: RuntimeEvent }
  | { kind: 'usage'; usage: ClaudeSessionUsage }
  /** The turn is over (`session.status_idle` with a stop reason other than `requires_action`). */
  | { kind: 'idle'; stopReason: string }
  /** The agent is idle, blocked on these events (`requires_action`): tool calls to confirm, or custom tool results. */
  | { kind: 'blocked'; eventIds: string[] }
  | { kind: 'failed'; code: string; message: string }
  | { kind: 'gone' }
  | { kind: 'ignore'; type: string };

/**
 * Pure mapping of one raw stream event (as the SDK yields it) onto the
 * normalized vocabulary. Turn-end rule from the SDK's own SessionToolRunner:
 * idle with a stop reason other than `requires_action`.
 */
export function mapClaudeEvent(raw: unknown): ClaudeStep {
  const parsed = streamEventSchema.safeParse(raw);
  if (!parsed.success) {
    const type = (raw as { type?: unknown } | null)?.type;
    return { kind: 'ignore', type: typeof type === 'string' ? type : 'unknown' };
  }
  const event = parsed.data;
  switch (event.type) {
    case 'event_delta':
      return event.delta.content?.type === 'text' && event.delta.content.text
        ? { kind: 'emit', event: { type: 'message.delta', text: event.delta.content.text } }
        : { kind: 'ignore', type: event.type };
    case 'agent.message': {
      const content = event.content.flatMap((block) => (block.type === 'text' && 'text' in block ? [{ type: 'text' as const, text: String(block.text) }] : []));
      return { kind: 'emit', event: { type: 'message.completed', content } };
    }
    case 'agent.tool_use':
    case 'agent.mcp_tool_use':
      // A call its permission policy asks about waits for a person: the portable approval request.
      if (event.evaluated_permission === 'ask') return { kind: 'emit', event: { type: 'approval.requested', toolCallId: event.id, name: event.name, input: event.input ?? null } };
      return { kind: 'emit', event: { type: 'tool.call', id: event.id, name: event.name, input: event.input ?? null } };
    case 'agent.custom_tool_use':
      return { kind: 'emit', event: { type: 'tool.call', id: event.id, name: event.name, input: event.input ?? null } };
    case 'agent.tool_result':
      return { kind: 'emit', event: { type: 'tool.result', id: event.tool_use_id, output: event.content ?? null, isError: event.is_error ?? false } };
    case 'agent.mcp_tool_result':
      return { kind: 'emit', event: { type: 'tool.result', id: event.mcp_tool_use_id, output: event.content ?? null, isError: event.is_error ?? false } };
    case 'session.usage':
      return { kind: 'usage', usage: event.usage };
    case 'session.status_idle': {
      const stopReason = event.stop_reason?.type ?? 'end_turn';
      if (stopReason === 'requires_action') return { kind: 'blocked', eventIds: event.stop_reason?.event_ids ?? [] };
      if (stopReason === 'retries_exhausted' || stopReason === 'budget_reached' || stopReason === 'refusal') {
        return { kind: 'failed', code: `provider_${stopReason}`, message: `the turn stopped: ${stopReason}` };
      }
      return { kind: 'idle', stopReason };
    }
    case 'session.error': {
      const retry = event.error.retry_status?.type;
      if (retry === 'retrying') return { kind: 'ignore', type: 'session.error (retrying)' };
      return { kind: 'failed', code: `provider_${event.error.type}`, message: event.error.message ?? event.error.type };
    }
    case 'session.status_terminated':
    case 'session.deleted':
      return { kind: 'gone' };
  }
}

/** An event this adapter sends: a message, or a decision on a tool call that waits for one. */
export type SentEvent =
  | { type: 'user.message'; content: Array<{ type: 'text'; text: string }> }
  | { type: 'user.tool_confirmation'; tool_use_id: string; result: 'allow' | 'deny'; deny_message?: string };

/**
 * Recognises the stream's echo of what this turn sent: by the event ids the
 * send returned (Claude returns them: `BetaManagedAgentsSendSessionEvents.data`);
 * should a response ever lack them, by identical content (a message) or the
 * same tool call (a confirmation), which a late echo of a different earlier
 * event cannot match.
 */
export function echoMatcher(sent: { data?: Array<{ id?: string }> } | undefined, events: readonly SentEvent[]): (raw: unknown) => boolean {
  const ids = new Set((sent?.data ?? []).flatMap((event) => (event.id ? [event.id] : [])));
  const first = events[0];
  const sentText = first?.type === 'user.message' ? JSON.stringify(first.content.map((part) => part.text)) : undefined;
  return (raw) => {
    const event = raw as { type?: string; id?: string; tool_use_id?: string; content?: Array<{ type?: string; text?: string }> };
    if (event.type !== first?.type) return false;
    if (ids.size > 0) return event.id !== undefined && ids.has(event.id);
    if (first.type === 'user.tool_confirmation') return event.tool_use_id === first.tool_use_id;
    return JSON.stringify((event.content ?? []).map((part) => part.text)) === sentText;
  };
}
