import { randomUUID } from 'node:crypto';
import { countWords, planAgentTurn, type AgentTool } from '#libs/emulator-kit';

/** What FunctionTool answers for a call whose confirmation was rejected. */
const rejected = 'This tool call is rejected.';

/**
 * The emulator's ADK agent: the emulators' shared deterministic agent
 * (`#libs/emulator-kit`) with a `list_files` tool, its plan as the ADK
 * events one `async_stream_query` turn streams and stores, given the
 * session's earlier user messages.
 *
 * A call that needs approval is a `FunctionTool(require_confirmation=True)`:
 * as ADK does, the tool's function response is an error asking for
 * confirmation (with `actions.requested_tool_confirmations`), followed by an
 * `adk_request_confirmation` function call (its args `originalFunctionCall`
 * and `toolConfirmation`, its id in `long_running_tool_ids`), and the turn
 * ends. The user's `function_response` to that call (`{confirmed}`) runs the
 * tool (or answers "This tool call is rejected.") and the agent replies.
 * Sources (google/adk-python): flows/llm_flows/functions.py
 * `generate_request_confirmation_event`, tools/function_tool.py
 * `run_async`, flows/llm_flows/request_confirmation.py.
 */

export const demoAgentName = 'switchboard_demo_agent';
const listFiles: AgentTool<{ path: string }> = { name: 'list_files', input: () => ({ path: '.' }), result: () => 'README.md, orders.csv' };

export interface AgentTurn {
  /** Every event in streaming order, partial chunks included. */
  streamed: Array<Record<string, unknown>>;
  /** What ADK appends to the session: the user's message and every non-partial event. */
  stored: Array<Record<string, unknown>>;
}

/** The ADK name of the function call that asks the user to confirm a tool call. */
export const requestConfirmationName = 'adk_request_confirmation';

/** A user's answer to an `adk_request_confirmation` call, and the tool call it is about. */
export interface ConfirmationAnswer {
  confirmationId: string;
  confirmed: boolean;
  originalCallId: string;
}

export interface TurnContext {
  /** The user's text (when answering a confirmation: the text of the message the tool call came from). */
  text: string;
  /** Set when the turn is the user's answer to a confirmation request. */
  confirmation?: ConfirmationAnswer;
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
  const { confirmation } = context;
  const approval = confirmation && (confirmation.confirmed ? { decision: 'allow' as const } : { decision: 'deny' as const, message: rejected });
  const plan = planAgentTurn({ text: context.text, earlierTexts: context.history, contextWords }, listFiles, approval);
  const base = { invocation_id: context.invocationId, author: demoAgentName };
  const at = { timestamp: context.nowSeconds };
  const usageMetadata = ({ inputTokens, outputTokens }: { inputTokens: number; outputTokens: number }) => ({
    prompt_token_count: inputTokens,
    candidates_token_count: outputTokens,
    total_token_count: inputTokens + outputTokens,
  });
  const userParts = confirmation
    ? [{ function_response: { id: confirmation.confirmationId, name: requestConfirmationName, response: { confirmed: confirmation.confirmed } } }]
    : [{ text: context.text }];
  const user = { ...base, author: 'user', id: context.nextId(), ...at, content: { role: 'user', parts: userParts } };

  const toolEvents: Array<Record<string, unknown>> = [];
  if (plan.toolCall) {
    const { name, input, result, usage, needsApproval } = plan.toolCall;
    const callId = confirmation?.originalCallId ?? `adk-${context.invocationId}-call-1`;
    if (!confirmation) {
      toolEvents.push({ ...base, id: context.nextId(), ...at, content: { role: 'model', parts: [{ function_call: { id: callId, name, args: input } }] }, usage_metadata: usageMetadata(usage) });
    }
    if (needsApproval && !confirmation) {
      const toolConfirmation = { hint: `Please approve or reject the tool call ${name}() by responding with a FunctionResponse with an expected ToolConfirmation payload.`, confirmed: false };
      const confirmationId = `adk-${randomUUID()}`;
      toolEvents.push(
        {
          ...base,
          id: context.nextId(),
          ...at,
          content: { role: 'user', parts: [{ function_response: { id: callId, name, response: { error: 'This tool call requires confirmation, please approve or reject.' } } }] },
          actions: { skip_summarization: true, requested_tool_confirmations: { [callId]: toolConfirmation } },
        },
        {
          ...base,
          id: context.nextId(),
          ...at,
          content: { role: 'user', parts: [{ function_call: { id: confirmationId, name: requestConfirmationName, args: { originalFunctionCall: { id: callId, name, args: input }, toolConfirmation } } }] },
          long_running_tool_ids: [confirmationId],
        },
      );
      return { streamed: toolEvents, stored: [user, ...toolEvents] };
    }
    // The tool function returns a dict, as ADK tools do; a rejected confirmation returns an error instead of running it.
    const response = confirmation && !confirmation.confirmed ? { error: rejected } : { files: result.split(', ') };
    toolEvents.push({ ...base, id: context.nextId(), ...at, content: { role: 'user', parts: [{ function_response: { id: callId, name, response } }] } });
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
