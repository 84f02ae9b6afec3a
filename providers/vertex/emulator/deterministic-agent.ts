import { countWords, planAgentTurn, type AgentTool } from '#libs/emulator-kit';

/**
 * The emulator's ADK agent: the emulators' shared deterministic agent
 * (`#libs/emulator-kit`) with a `list_files` tool, its plan as the ADK
 * events one `async_stream_query` turn streams and stores, given the
 * session's earlier user messages.
 */

export const demoAgentName = 'switchboard_demo_agent';
const listFiles: AgentTool<{ path: string }> = { name: 'list_files', input: () => ({ path: '.' }), result: () => 'README.md, orders.csv' };

export interface AgentTurn {
  /** Every event in streaming order, partial chunks included. */
  streamed: Array<Record<string, unknown>>;
  /** What ADK appends to the session: the user's message and every non-partial event. */
  stored: Array<Record<string, unknown>>;
}

export interface TurnContext {
  text: string;
  /** The user texts of earlier turns in this session, oldest first. */
  history: string[];
  invocationId: string;
  /** Makes event ids (deterministic given the same counter). */
  nextId: () => string;
  /** Event timestamps, seconds since epoch (ADK's float format). */
  nowSeconds: number;
}

export function runDeterministicTurn(context: TurnContext): AgentTurn {
  const contextWords = context.history.reduce((sum, text) => sum + countWords(text), 0);
  const plan = planAgentTurn({ text: context.text, earlierTexts: context.history, contextWords }, listFiles);
  const base = { invocation_id: context.invocationId, author: demoAgentName };
  const at = { timestamp: context.nowSeconds };
  const usageMetadata = ({ inputTokens, outputTokens }: { inputTokens: number; outputTokens: number }) => ({
    prompt_token_count: inputTokens,
    candidates_token_count: outputTokens,
    total_token_count: inputTokens + outputTokens,
  });
  const user = { ...base, author: 'user', id: context.nextId(), ...at, content: { role: 'user', parts: [{ text: context.text }] } };

  const toolEvents: Array<Record<string, unknown>> = [];
  if (plan.toolCall) {
    const { name, input, result, usage } = plan.toolCall;
    const callId = `adk-${context.invocationId}-call-1`;
    toolEvents.push(
      { ...base, id: context.nextId(), ...at, content: { role: 'model', parts: [{ function_call: { id: callId, name, args: input } }] }, usage_metadata: usageMetadata(usage) },
      // The tool function returns a dict, as ADK tools do.
      { ...base, id: context.nextId(), ...at, content: { role: 'user', parts: [{ function_response: { id: callId, name, response: { files: result.split(', ') } } }] } },
    );
  }
  const partials = plan.chunks.map((chunk) => ({ ...base, id: context.nextId(), ...at, partial: true, content: { role: 'model', parts: [{ text: chunk }] } }));
  const final = {
    ...base,
    id: context.nextId(),
    ...at,
    content: { role: 'model', parts: [{ text: plan.reply }] },
    actions: { state_delta: { turns: plan.turn }, artifact_delta: {} },
    usage_metadata: usageMetadata(plan.usage),
  };
  return { streamed: [...toolEvents, ...partials, final], stored: [user, ...toolEvents, final] };
}
