import type { ConversationItem } from './conversation-store.js';
import { mcpServerLabel, type AgentTurnPlan } from './deterministic-agent.js';
import { newFoundryId } from './emulator-ids.js';

/** Who a response belongs to; echoed on every response snapshot. */
export interface ResponseContext {
  id: string;
  createdAt: number;
  agentName: string;
  agentVersion: string;
  sessionId: string;
  conversationId: string | null;
  metadata: Record<string, string>;
}

export type StreamEvent = { type: string; [field: string]: unknown };

export interface BuiltResponse {
  /** The stream, in order, without `sequence_number` (the writer numbers them). */
  events: StreamEvent[];
  /** The final `Response` object (the JSON answer, and `response.completed`'s payload). */
  response: Record<string, unknown>;
  /** What the turn adds to the conversation after the user's input. */
  outputItems: ConversationItem[];
}

const textPart = (text: string) => ({ type: 'output_text', text, annotations: [], logprobs: [] });

/** The `Response` object, as the Responses API shapes it, plus Foundry's `agent_session_id` and `agent_reference`. */
function responseObject(context: ResponseContext, fields: Record<string, unknown>) {
  return {
    id: context.id,
    object: 'response',
    created_at: context.createdAt,
    status: 'in_progress',
    error: null,
    incomplete_details: null,
    instructions: null,
    model: 'switchboard-emulated-model',
    output: [],
    parallel_tool_calls: true,
    previous_response_id: null,
    temperature: 1,
    top_p: 1,
    tool_choice: 'auto',
    tools: [],
    text: { format: { type: 'text' } },
    truncation: 'disabled',
    usage: null,
    metadata: context.metadata,
    conversation: context.conversationId ? { id: context.conversationId } : null,
    agent_session_id: context.sessionId,
    agent_reference: { type: 'agent_reference', name: context.agentName, version: context.agentVersion },
    ...fields,
  };
}

/**
 * The Responses streaming sequence of one completed turn, shaped so the
 * `openai` package's strict `responses.stream()` accumulator accepts it:
 * lifecycle events carry the same response id, every output event names its
 * `output_index`, and each item is added, filled and marked done in order.
 * https://platform.openai.com/docs/api-reference/responses-streaming
 */
export function completedResponse(context: ResponseContext, plan: AgentTurnPlan, options: { omitUsage?: boolean } = {}): BuiltResponse {
  const started = responseObject(context, {});
  const events: StreamEvent[] = [
    { type: 'response.created', response: started },
    { type: 'response.in_progress', response: started },
  ];
  const outputItems: ConversationItem[] = [];
  const addItem = (item: ConversationItem) => {
    events.push(
      { type: 'response.output_item.added', output_index: outputItems.length, item: { ...item, status: 'in_progress' } },
      { type: 'response.output_item.done', output_index: outputItems.length, item },
    );
    outputItems.push(item);
  };
  if (plan.approvalRequest) {
    addItem({ id: newFoundryId('mcpr'), type: 'mcp_approval_request', server_label: mcpServerLabel, name: plan.approvalRequest.name, arguments: plan.approvalRequest.arguments });
  }
  if (plan.mcpCall) {
    const { name, arguments: args, output, approvalRequestId } = plan.mcpCall;
    addItem({ id: newFoundryId('mcp'), type: 'mcp_call', server_label: mcpServerLabel, name, arguments: args, output, error: null, approval_request_id: approvalRequestId, status: 'completed' });
  }
  if (plan.toolCall) {
    const call = { id: newFoundryId('fc'), type: 'function_call', call_id: `call_${newFoundryId('fc').slice(3, 27)}`, name: plan.toolCall.name };
    const callIndex = outputItems.length;
    const doneCall = { ...call, arguments: plan.toolCall.arguments, status: 'completed' };
    events.push(
      { type: 'response.output_item.added', output_index: callIndex, item: { ...call, arguments: '', status: 'in_progress' } },
      { type: 'response.function_call_arguments.delta', item_id: call.id, output_index: callIndex, delta: plan.toolCall.arguments },
      { type: 'response.function_call_arguments.done', item_id: call.id, output_index: callIndex, name: call.name, arguments: plan.toolCall.arguments },
      { type: 'response.output_item.done', output_index: callIndex, item: doneCall },
    );
    outputItems.push(doneCall);
    // The hosted container runs the tool itself and reports its output as an output item.
    const result = { id: newFoundryId('fco'), type: 'function_call_output', call_id: call.call_id, output: plan.toolCall.output, status: 'completed' };
    events.push(
      { type: 'response.output_item.added', output_index: outputItems.length, item: { ...result, status: 'in_progress' } },
      { type: 'response.output_item.done', output_index: outputItems.length, item: result },
    );
    outputItems.push(result);
  }
  if (plan.reply) addMessage(events, outputItems, plan);
  const { input_tokens, output_tokens } = plan.usage;
  const response = responseObject(context, {
    status: 'completed',
    output: outputItems,
    usage: options.omitUsage
      ? null
      : {
          input_tokens,
          input_tokens_details: { cached_tokens: 0 },
          output_tokens,
          output_tokens_details: { reasoning_tokens: 0 },
          total_tokens: input_tokens + output_tokens,
        },
  });
  events.push({ type: 'response.completed', response });
  return { events, response, outputItems };
}

/** The reply: an assistant message, streamed as text deltas. */
function addMessage(events: StreamEvent[], outputItems: ConversationItem[], plan: AgentTurnPlan): void {
  const messageId = newFoundryId('msg');
  const index = outputItems.length;
  const located = { item_id: messageId, output_index: index, content_index: 0 };
  const message = { id: messageId, type: 'message', role: 'assistant', status: 'completed', content: [textPart(plan.reply)] };
  events.push(
    { type: 'response.output_item.added', output_index: index, item: { ...message, status: 'in_progress', content: [] } },
    { type: 'response.content_part.added', ...located, part: textPart('') },
    ...plan.chunks.map((delta) => ({ type: 'response.output_text.delta', ...located, delta, logprobs: [] })),
    { type: 'response.output_text.done', ...located, text: plan.reply, logprobs: [] },
    { type: 'response.content_part.done', ...located, part: textPart(plan.reply) },
    { type: 'response.output_item.done', output_index: index, item: message },
  );
  outputItems.push(message);
}

/** A turn the agent failed: created, in progress, then `response.failed` with the error. */
export function failedResponse(context: ResponseContext, error: { code: string; message: string }): BuiltResponse {
  const started = responseObject(context, {});
  const response = responseObject(context, { status: 'failed', error });
  return {
    events: [
      { type: 'response.created', response: started },
      { type: 'response.in_progress', response: started },
      { type: 'response.failed', response },
    ],
    response,
    outputItems: [],
  };
}
