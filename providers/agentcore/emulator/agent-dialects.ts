import type { AgentTurnPlan } from './demo-agent.js';
import type { AgentDialect } from './runtime-catalog.js';

/**
 * One `data:` payload the agent container writes. `content` marks payloads
 * that carry the reply (text, messages, tool events, usage, the end) as
 * opposed to bookkeeping; `truncate` faults count only those, so a cut
 * always lands inside the reply whatever the dialect's preamble.
 */
export interface AgentChunk {
  data: unknown;
  content: boolean;
}

const bookkeeping = (data: unknown): AgentChunk => ({ data, content: false });
const content = (data: unknown): AgentChunk => ({ data, content: true });

/** The SSE payloads of one turn as the runtime's container would write them. */
export function streamedTurn(dialect: AgentDialect, plan: AgentTurnPlan): AgentChunk[] {
  return dialect === 'strands' ? strandsStream(plan) : textStream(plan);
}

/** The JSON body of one turn when the caller accepts `application/json`. */
export function documentTurn(dialect: AgentDialect, plan: AgentTurnPlan): unknown {
  return dialect === 'strands'
    ? { result: { role: 'assistant', content: [{ text: plan.reply }] } }
    : { result: plan.reply, usage: { input_tokens: totalUsage(plan).inputTokens, output_tokens: totalUsage(plan).outputTokens } };
}

/**
 * What BedrockAgentCoreApp writes for a Strands agent that yields every event
 * of `stream_async`: lifecycle flags, the model's raw ConverseStream events
 * (with Strands' derived `{"data"}` duplicates of text deltas), complete
 * messages, and finally `{"result"}`.
 */
function strandsStream(plan: AgentTurnPlan): AgentChunk[] {
  const chunks: AgentChunk[] = [bookkeeping({ init_event_loop: true }), bookkeeping({ start: true }), bookkeeping({ start_event_loop: true })];
  const metadata = (usage: { inputTokens: number; outputTokens: number }) =>
    content({ event: { metadata: { usage: { ...usage, totalTokens: usage.inputTokens + usage.outputTokens }, metrics: { latencyMs: 400 } } } });
  if (plan.tool) {
    const { id, name, input, result, usage } = plan.tool;
    chunks.push(
      bookkeeping({ event: { messageStart: { role: 'assistant' } } }),
      bookkeeping({ event: { contentBlockStart: { start: { toolUse: { toolUseId: id, name } }, contentBlockIndex: 0 } } }),
      bookkeeping({ event: { contentBlockDelta: { delta: { toolUse: { input: JSON.stringify(input) } }, contentBlockIndex: 0 } } }),
      bookkeeping({ event: { contentBlockStop: { contentBlockIndex: 0 } } }),
      bookkeeping({ event: { messageStop: { stopReason: 'tool_use' } } }),
      metadata(usage),
      content({ message: { role: 'assistant', content: [{ toolUse: { toolUseId: id, name, input } }] } }),
      content({ message: { role: 'user', content: [{ toolResult: { toolUseId: id, status: 'success', content: [{ text: result }] } }] } }),
    );
  }
  chunks.push(bookkeeping({ event: { messageStart: { role: 'assistant' } } }));
  for (const text of plan.chunks) {
    chunks.push(content({ event: { contentBlockDelta: { delta: { text }, contentBlockIndex: 0 } } }), bookkeeping({ data: text, delta: { text } }));
  }
  const message = { role: 'assistant', content: [{ text: plan.reply }] };
  chunks.push(
    bookkeeping({ event: { contentBlockStop: { contentBlockIndex: 0 } } }),
    bookkeeping({ event: { messageStop: { stopReason: 'end_turn' } } }),
    metadata(plan.usage),
    content({ message }),
    content({ result: { stop_reason: 'end_turn', message, metrics: { cycle_count: plan.tool ? 2 : 1 } } }),
  );
  return chunks;
}

/** A plain-text agent: JSON-string chunks, then the `done` terminator with the turn's tokens. */
function textStream(plan: AgentTurnPlan): AgentChunk[] {
  const usage = totalUsage(plan);
  return [...plan.chunks.map((text) => content(text)), content({ type: 'done', usage: { input_tokens: usage.inputTokens, output_tokens: usage.outputTokens } })];
}

function totalUsage(plan: AgentTurnPlan) {
  return {
    inputTokens: plan.usage.inputTokens + (plan.tool?.usage.inputTokens ?? 0),
    outputTokens: plan.usage.outputTokens + (plan.tool?.usage.outputTokens ?? 0),
  };
}
