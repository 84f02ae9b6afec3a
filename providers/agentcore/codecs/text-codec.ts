import { textEventSchema, textUsageSchema } from '../agentcore-wire.js';
import { completed, ignore, messageText, type CodecStep, type ResponseCodec, type TurnDecoder } from './response-codec.js';

/**
 * `responseCodec: "text"`, for agents that stream plain text:
 * - SSE: every `data:` is a chunk of the reply: a JSON string (`data: "Hel"`,
 *   what BedrockAgentCoreApp writes for a yielded `str` in every version: it
 *   `json.dumps` each value), raw text (`data: Hel`, from other servers), or
 *   `{"type":"text","text"}`. The turn ends when the body does (the
 *   entrypoint returned); an agent may end it earlier, with the turn's tokens,
 *   by `{"type":"done","usage"?:{inputTokens,outputTokens}}` (snake_case
 *   accepted). Without it the tokens are not reported.
 * - JSON: a string, `{"result": string | {role, content:[{text}]}, "usage"?}`, or `{"type":"text","text"}`.
 */
export const textCodec: ResponseCodec = {
  name: 'text',
  startTurn: () => new TextTurn(),
};

class TextTurn implements TurnDecoder {
  private text = '';

  event(data: unknown): CodecStep[] {
    if (typeof data === 'string') return this.chunk(data);
    const parsed = textEventSchema.safeParse(data);
    if (!parsed.success) return [ignore('unrecognised text-codec event')];
    if (parsed.data.type === 'text') return this.chunk(parsed.data.text);
    const usage = parsed.data.usage;
    return [...(usage ? [{ kind: 'usage' as const, ...usage }] : []), ...this.finish()];
  }

  finish(): CodecStep[] {
    const text = this.text;
    this.text = '';
    return [...completed(text), { kind: 'end' }];
  }

  document(body: unknown): CodecStep[] {
    const text = documentText(body);
    if (text === undefined) return [{ kind: 'failed', code: 'provider_unrecognized_response', message: 'the agent answered JSON the text codec does not read' }];
    const usage = textUsageSchema.safeParse((body as { usage?: unknown } | null)?.usage);
    return [...(usage.success ? [{ kind: 'usage' as const, ...usage.data }] : []), ...completed(text), { kind: 'end' }];
  }

  private chunk(text: string): CodecStep[] {
    if (text === '') return [ignore('empty chunk')];
    this.text += text;
    return [{ kind: 'emit', event: { type: 'message.delta', text } }];
  }
}

function documentText(body: unknown): string | undefined {
  if (typeof body === 'string') return body;
  if (typeof body !== 'object' || body === null) return undefined;
  const event = textEventSchema.safeParse(body);
  if (event.success && event.data.type === 'text') return event.data.text;
  const result = (body as { result?: unknown }).result;
  return typeof result === 'string' ? result : messageText(result);
}
