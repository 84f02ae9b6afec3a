import { strandsEventSchema, type StrandsMessage } from '../agentcore-wire.js';
import { completed, ignore, messageText, type CodecStep, type ResponseCodec } from './response-codec.js';

/**
 * `responseCodec: "strands"`, for agents that yield the events of Strands'
 * `Agent.stream_async` through BedrockAgentCoreApp (the AgentCore starter
 * template). Text deltas come from the raw model events (`{"event":
 * {"contentBlockDelta":…}}`), not from Strands' derived `{"data": …}` events,
 * which repeat them; tool calls and results from the complete `message`
 * events; tokens from `metadata`; the turn ends with `{"result": …}`.
 * JSON bodies (`{"result": AgentResult | message | string}`) are read whole.
 */
export const strandsCodec: ResponseCodec = {
  name: 'strands',
  startTurn: () => ({ event: strandsEvent, document: strandsDocument }),
};

function strandsEvent(data: unknown): CodecStep[] {
  const parsed = strandsEventSchema.safeParse(data);
  if (!parsed.success) return [ignore('not a Strands event')];
  const event = parsed.data;
  const text = event.event?.contentBlockDelta?.delta.text;
  if (text) return [{ kind: 'emit', event: { type: 'message.delta', text } }];
  const usage = event.event?.metadata?.usage;
  if (usage) return [{ kind: 'usage', inputTokens: usage.inputTokens, outputTokens: usage.outputTokens }];
  if (event.message) return messageSteps(event.message);
  if ('result' in event) return [{ kind: 'end' }];
  if (event.force_stop) return [{ kind: 'failed', code: 'provider_force_stop', message: event.force_stop_reason ?? 'the Strands event loop stopped' }];
  return [ignore('Strands bookkeeping event')];
}

/** An assistant message: its text (one `message.completed`) and its tool calls; a user message: its tool results. */
function messageSteps(message: StrandsMessage): CodecStep[] {
  if (message.role === 'assistant') {
    const calls: CodecStep[] = message.content.flatMap((block) =>
      block.toolUse ? [{ kind: 'emit' as const, event: { type: 'tool.call' as const, id: block.toolUse.toolUseId, name: block.toolUse.name, input: block.toolUse.input ?? null } }] : [],
    );
    return [...completed(messageText(message) ?? ''), ...calls];
  }
  const results: CodecStep[] = message.content.flatMap((block) =>
    block.toolResult
      ? [{ kind: 'emit' as const, event: { type: 'tool.result' as const, id: block.toolResult.toolUseId, output: block.toolResult.content ?? null, isError: block.toolResult.status === 'error' } }]
      : [],
  );
  return results.length > 0 ? results : [ignore(`${message.role} message`)];
}

function strandsDocument(body: unknown): CodecStep[] {
  const result = typeof body === 'object' && body !== null && 'result' in body ? body.result : body;
  // An AgentResult serialised as a dict nests the message; BedrockAgentCoreApp samples return the message itself.
  const nested = typeof result === 'object' && result !== null && 'message' in result ? result.message : result;
  const text = typeof nested === 'string' ? nested : messageText(nested);
  if (text === undefined) return [{ kind: 'failed', code: 'provider_unrecognized_response', message: 'the agent answered JSON the strands codec does not read' }];
  return [...completed(text), { kind: 'end' }];
}
