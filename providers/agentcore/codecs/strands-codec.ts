import { strandsEventSchema, strandsResultUsageSchema, type StrandsMessage } from '../agentcore-wire.js';
import { completed, ignore, messageText, type CodecStep, type ResponseCodec, type TurnDecoder } from './response-codec.js';

/**
 * `responseCodec: "strands"`, for agents that yield the events of Strands'
 * `Agent.stream_async` through BedrockAgentCoreApp (`yield event`).
 *
 * What survives BedrockAgentCoreApp's serialisation (`_safe_serialize_to_json_string`:
 * `json.dumps`, then dataclasses as dicts, then `json.dumps(str(obj))`):
 * - the model's raw events (`{"event": {...}}`), complete messages and the
 *   loop's flags stay JSON objects: text deltas come from `contentBlockDelta`,
 *   tokens from `metadata`, tool calls and results from the messages;
 * - the callback events (`{"data": …, "delta": …}` and the tool-use stream)
 *   carry the invocation state (the Agent, a UUID, a trace), which JSON cannot
 *   encode, so each arrives as a JSON string holding the dict's Python repr:
 *   ignored, the raw events above carry the same text;
 * - the final `{"result": AgentResult(...)}` arrives as such a string too (its
 *   metrics hold trace objects): it is still the agent's last word.
 * Other strings are the reply itself, from agents that yield text
 * (`yield event["data"]`, the starter template). The turn ends with the
 * result or, whatever came, with the clean end of the body.
 * https://github.com/aws/bedrock-agentcore-sdk-python (src/bedrock_agentcore/runtime/app.py, utils.py)
 * https://github.com/strands-agents/sdk-python (src/strands/agent/agent.py stream_async, src/strands/types/_events.py)
 */
export const strandsCodec: ResponseCodec = {
  name: 'strands',
  startTurn: () => new StrandsTurn(),
};

/** The Python repr of a dict whose value JSON could not encode: a Strands callback event or the final result. */
const pythonRepr = /^\{'[A-Za-z_]+': /;
const resultRepr = /^\{'result': AgentResult\(/;

class StrandsTurn implements TurnDecoder {
  /** Text that came as plain strings: no message event will complete it. */
  private yieldedText = '';

  event(data: unknown): CodecStep[] {
    if (typeof data === 'string') return this.string(data);
    const parsed = strandsEventSchema.safeParse(data);
    if (!parsed.success) return [ignore('not a Strands event')];
    const event = parsed.data;
    const text = event.event?.contentBlockDelta?.delta.text;
    if (text) return [{ kind: 'emit', event: { type: 'message.delta', text } }];
    const usage = event.event?.metadata?.usage;
    if (usage) return [{ kind: 'usage', inputTokens: usage.inputTokens, outputTokens: usage.outputTokens }];
    if (event.message) return messageSteps(event.message);
    if ('result' in event) return this.finish();
    if (event.force_stop) return [{ kind: 'failed', code: 'provider_force_stop', message: event.force_stop_reason ?? 'the Strands event loop stopped' }];
    return [ignore('Strands bookkeeping event')];
  }

  document(body: unknown): CodecStep[] {
    const result = typeof body === 'object' && body !== null && 'result' in body ? body.result : body;
    // An AgentResult serialised as a dict nests the message and its metrics; BedrockAgentCoreApp samples return the message itself.
    const nested = typeof result === 'object' && result !== null && 'message' in result ? result.message : result;
    const text = typeof nested === 'string' ? nested : messageText(nested);
    if (text === undefined) return [{ kind: 'failed', code: 'provider_unrecognized_response', message: 'the agent answered JSON the strands codec does not read' }];
    const usage = strandsResultUsageSchema.safeParse(result);
    return [...(usage.success ? [{ kind: 'usage' as const, ...usage.data }] : []), ...completed(text), { kind: 'end' }];
  }

  finish(): CodecStep[] {
    const text = this.yieldedText;
    this.yieldedText = '';
    return [...completed(text), { kind: 'end' }];
  }

  private string(data: string): CodecStep[] {
    if (resultRepr.test(data)) return this.finish();
    if (pythonRepr.test(data)) return [ignore('a Strands callback event JSON could not encode (a Python repr)')];
    if (data === '') return [ignore('empty chunk')];
    this.yieldedText += data;
    return [{ kind: 'emit', event: { type: 'message.delta', text: data } }];
  }
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
