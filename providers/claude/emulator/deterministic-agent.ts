import { planAgentTurn, type AgentApproval, type AgentTool, type AgentTurnInput, type TokenUsage } from '#libs/emulator-kit';

/**
 * The Claude emulator's agent: the emulators' shared deterministic agent
 * (`#libs/emulator-kit`) with a `bash` tool that echoes the message, its plan
 * cut into the model requests Managed Agents reports as spans, with usage in
 * the API's snake_case.
 */

export type TurnInput = AgentTurnInput;

export interface ModelUsage {
  input_tokens: number;
  output_tokens: number;
}

interface ModelRequestCost {
  usage: ModelUsage;
  /** Emulated time the call takes, running its tool included. */
  durationMs: number;
}

/** One model call: it either asks for a tool or writes the reply. */
export type ModelRequestPlan =
  | (ModelRequestCost & {
      kind: 'tool_use';
      name: string;
      input: { command: string };
      result: string;
      /** The call waits for a `user.tool_confirmation` (its tool's permission policy is `always_ask`). */
      needsApproval: boolean;
      /** Set when a confirmation denied it: the `deny_message` the agent reads instead of a result. */
      denied?: string;
    })
  | (ModelRequestCost & { kind: 'message'; text: string; chunks: string[] });

export interface TurnPlan {
  modelRequests: ModelRequestPlan[];
}

const shellQuote = (text: string) => `'${text.replaceAll("'", `'\\''`)}'`;

/** The agent's built-in bash tool, echoing the message back (`agent_toolset`'s `bash`). */
const bash: AgentTool<{ command: string }> = { name: 'bash', input: (text) => ({ command: `echo ${shellQuote(text)}` }), result: (text) => text };

const snakeCase = ({ inputTokens, outputTokens }: TokenUsage): ModelUsage => ({ input_tokens: inputTokens, output_tokens: outputTokens });

/** `approval`: the answer of the `user.tool_confirmation` the turn waited for, when it is planned again after it. */
export function planTurn(input: TurnInput, approval?: AgentApproval): TurnPlan {
  const plan = planAgentTurn(input, bash, approval);
  const modelRequests: ModelRequestPlan[] = [];
  if (plan.toolCall) {
    const { name, input: toolInput, result, usage, durationMs, needsApproval, denied } = plan.toolCall;
    modelRequests.push({ kind: 'tool_use', name, input: toolInput, result, needsApproval, ...(denied === undefined ? {} : { denied }), usage: snakeCase(usage), durationMs });
  }
  modelRequests.push({ kind: 'message', text: plan.reply, chunks: plan.chunks, usage: snakeCase(plan.usage), durationMs: plan.durationMs });
  return { modelRequests };
}
