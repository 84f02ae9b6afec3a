import { planAgentTurn, totalUsage, type AgentApproval, type AgentTool, type AgentTurnInput } from '#libs/emulator-kit';

/**
 * The hosted agent's container: the emulators' shared deterministic agent
 * (`#libs/emulator-kit`) with a `list_files` function tool, its plan in the
 * Responses API's terms: one function call (JSON `arguments`, string
 * `output`) and one usage for the whole response. A call that needs approval
 * is the tool of an MCP server whose `require_approval` is `always`: the
 * response ends with an `mcp_approval_request` item and no reply; the next
 * response, given the `mcp_approval_response`, makes the `mcp_call` (allowed)
 * or not (denied), then replies.
 * https://platform.openai.com/docs/guides/tools-remote-mcp#approvals
 */

export interface AgentToolCall {
  name: string;
  arguments: string;
  output: string;
}

export interface AgentTurnPlan {
  toolCall: AgentToolCall | null;
  /** The call waits for approval: the response ends with this request instead of a reply. */
  approvalRequest: { name: string; arguments: string } | null;
  /** An approved MCP call, made before the reply; it names the request it answers. */
  mcpCall: (AgentToolCall & { approvalRequestId: string }) | null;
  /** Empty when the response only asks for approval. */
  reply: string;
  /** The reply split into the deltas it streams as; they concatenate back to `reply`. */
  chunks: string[];
  usage: { input_tokens: number; output_tokens: number };
}

const listFiles: AgentTool<{ path: string }> = { name: 'list_files', input: () => ({ path: '/files' }), result: () => 'notes.md, report.csv' };

/** The MCP server label the emulated agent's approval-gated tool comes from. */
export const mcpServerLabel = 'files';

/** `answer`: the `mcp_approval_response` for the request an earlier response of this message ended with. */
export function planTurn(input: AgentTurnInput, answer?: AgentApproval & { approvalRequestId: string }): AgentTurnPlan {
  const plan = planAgentTurn(input, listFiles, answer);
  const { inputTokens, outputTokens } = totalUsage(plan);
  const call = plan.toolCall;
  const toolCall = call ? { name: call.name, arguments: JSON.stringify(call.input), output: call.result } : null;
  if (call?.needsApproval && !answer) {
    return { toolCall: null, approvalRequest: { name: call.name, arguments: JSON.stringify(call.input) }, mcpCall: null, reply: '', chunks: [], usage: { input_tokens: call.usage.inputTokens, output_tokens: call.usage.outputTokens } };
  }
  const approved = call?.needsApproval && toolCall && call.denied === undefined ? { ...toolCall, approvalRequestId: answer!.approvalRequestId } : null;
  return {
    toolCall: call?.needsApproval ? null : toolCall,
    approvalRequest: null,
    mcpCall: approved,
    reply: plan.reply,
    chunks: plan.chunks,
    usage: { input_tokens: inputTokens, output_tokens: outputTokens },
  };
}
