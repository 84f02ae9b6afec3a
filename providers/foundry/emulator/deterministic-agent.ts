import { planAgentTurn, totalUsage, type AgentTool, type AgentTurnInput } from '#libs/emulator-kit';

/**
 * The hosted agent's container: the emulators' shared deterministic agent
 * (`#libs/emulator-kit`) with a `list_files` function tool, its plan in the
 * Responses API's terms: one function call (JSON `arguments`, string
 * `output`) and one usage for the whole response.
 */

export interface AgentToolCall {
  name: string;
  arguments: string;
  output: string;
}

export interface AgentTurnPlan {
  toolCall: AgentToolCall | null;
  reply: string;
  /** The reply split into the deltas it streams as; they concatenate back to `reply`. */
  chunks: string[];
  usage: { input_tokens: number; output_tokens: number };
}

const listFiles: AgentTool<{ path: string }> = { name: 'list_files', input: () => ({ path: '/files' }), result: () => 'notes.md, report.csv' };

export function planTurn(input: AgentTurnInput): AgentTurnPlan {
  const plan = planAgentTurn(input, listFiles);
  const { inputTokens, outputTokens } = totalUsage(plan);
  const call = plan.toolCall;
  return {
    toolCall: call ? { name: call.name, arguments: JSON.stringify(call.input), output: call.result } : null,
    reply: plan.reply,
    chunks: plan.chunks,
    usage: { input_tokens: inputTokens, output_tokens: outputTokens },
  };
}
