import { totalUsage } from '#libs/emulator-kit';
import type { DemoTurnPlan } from './demo-agent.js';
import type { AgentDialect } from './runtime-catalog.js';
import { dataclassRepr, PythonObject, pythonRepr } from './python-repr.js';

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
export function streamedTurn(dialect: AgentDialect, plan: DemoTurnPlan): AgentChunk[] {
  return dialect === 'strands' ? strandsStream(plan) : textStream(plan);
}

/** The JSON body of one turn when the caller accepts `application/json`. */
export function documentTurn(dialect: AgentDialect, plan: DemoTurnPlan): unknown {
  return dialect === 'strands'
    ? { result: { role: 'assistant', content: [{ text: plan.reply }] } }
    : { result: plan.reply, usage: { input_tokens: totalUsage(plan).inputTokens, output_tokens: totalUsage(plan).outputTokens } };
}

/**
 * What BedrockAgentCoreApp writes for a Strands agent that yields every event
 * of `stream_async` (`async for event in agent.stream_async(prompt): yield
 * event`): lifecycle flags, the model's raw ConverseStream events, complete
 * messages, and the final `{"result": AgentResult}`. Strands merges the
 * invocation state (the Agent, a UUID, a trace, a span) into every callback
 * event with a `delta`, and AgentResult's metrics hold trace objects, so JSON
 * cannot encode those: BedrockAgentCoreApp then writes `json.dumps(str(value))`,
 * a JSON string holding the Python repr ({@link serialised}). No terminator:
 * the body ends when the entrypoint returns.
 */
function strandsStream(plan: DemoTurnPlan): AgentChunk[] {
  const state = invocationState(plan.turn);
  const chunks: AgentChunk[] = [bookkeeping({ init_event_loop: true }), bookkeeping({ start: true }), bookkeeping({ start_event_loop: true })];
  const metadata = (usage: { inputTokens: number; outputTokens: number }) =>
    content({ event: { metadata: { usage: { ...usage, totalTokens: usage.inputTokens + usage.outputTokens }, metrics: { latencyMs: 400 } } } });
  if (plan.toolCall) {
    const id = plan.toolUseId;
    const { name, input, result, usage } = plan.toolCall;
    const toolUse = { toolUseId: id, name, input: JSON.stringify(input) };
    chunks.push(
      bookkeeping({ event: { messageStart: { role: 'assistant' } } }),
      bookkeeping({ event: { contentBlockStart: { start: { toolUse: { toolUseId: id, name } }, contentBlockIndex: 0 } } }),
      bookkeeping({ event: { contentBlockDelta: { delta: { toolUse: { input: JSON.stringify(input) } }, contentBlockIndex: 0 } } }),
      bookkeeping(serialised({ type: 'tool_use_stream', delta: { toolUse: { input: JSON.stringify(input) } }, current_tool_use: toolUse, ...state })),
      bookkeeping({ event: { contentBlockStop: { contentBlockIndex: 0 } } }),
      bookkeeping({ event: { messageStop: { stopReason: 'tool_use' } } }),
      metadata(usage),
      content({ message: { role: 'assistant', content: [{ toolUse: { toolUseId: id, name, input } }] } }),
      content({ message: { role: 'user', content: [{ toolResult: { toolUseId: id, status: 'success', content: [{ text: result }] } }] } }),
    );
  }
  chunks.push(bookkeeping({ event: { messageStart: { role: 'assistant' } } }));
  for (const text of plan.chunks) {
    chunks.push(content({ event: { contentBlockDelta: { delta: { text }, contentBlockIndex: 0 } } }), bookkeeping(serialised({ data: text, delta: { text }, ...state })));
  }
  const message = { role: 'assistant', content: [{ text: plan.reply }] };
  const usage = totalUsage(plan);
  const metrics = dataclassRepr('EventLoopMetrics', {
    cycle_count: plan.toolCall ? 2 : 1,
    tool_metrics: {},
    cycle_durations: [0.4],
    traces: [traceObject(plan.turn)],
    accumulated_usage: { ...usage, totalTokens: usage.inputTokens + usage.outputTokens },
    accumulated_metrics: { latencyMs: 400 },
  });
  chunks.push(
    bookkeeping({ event: { contentBlockStop: { contentBlockIndex: 0 } } }),
    bookkeeping({ event: { messageStop: { stopReason: 'end_turn' } } }),
    metadata(plan.usage),
    content({ message }),
    content(serialised({ result: dataclassRepr('AgentResult', { stop_reason: 'end_turn', message, metrics, state: {}, interrupts: null, structured_output: null }) })),
  );
  return chunks;
}

/** What Strands merges into each callback event: none of it JSON-encodable. */
function invocationState(turn: number): Record<string, PythonObject | Record<string, never>> {
  const address = (0x7f3a_0000_0000 + turn * 0x1000).toString(16);
  return {
    agent: new PythonObject(`<strands.agent.agent.Agent object at 0x${address}>`),
    event_loop_cycle_id: new PythonObject(`UUID('6f1c2b7e-0000-4000-8000-${String(turn).padStart(12, '0')}')`),
    request_state: {},
    event_loop_cycle_trace: traceObject(turn),
    event_loop_cycle_span: new PythonObject(`<opentelemetry.trace.span.NonRecordingSpan object at 0x${address}8>`),
  };
}

const traceObject = (turn: number) => new PythonObject(`<strands.telemetry.metrics.Trace object at 0x7f3a${(turn * 0x100).toString(16).padStart(8, '0')}>`);

/** BedrockAgentCoreApp's `_safe_serialize_to_json_string`: JSON when it can, else the value's Python repr as a JSON string. */
function serialised(value: Record<string, unknown>): unknown {
  return holdsPythonObject(value) ? pythonRepr(value) : value;
}

function holdsPythonObject(value: unknown): boolean {
  if (value instanceof PythonObject) return true;
  if (Array.isArray(value)) return value.some(holdsPythonObject);
  return typeof value === 'object' && value !== null && Object.values(value).some(holdsPythonObject);
}

/** A plain-text agent (`yield event["data"]`): each chunk a JSON string; the body just ends, with no terminator and no usage. */
function textStream(plan: DemoTurnPlan): AgentChunk[] {
  return plan.chunks.map((text) => content(text));
}
