import { agentErrorSchema, sessionStateLostErrorType } from './agentcore-wire.js';
import type { CodecStep, TurnDecoder } from './codecs/index.js';
import { parseData, SseDecoder } from './sse-decoder.js';

/** A step of the response, the codec's plus the agent errors every codec shares. */
export type BodyStep = CodecStep | { kind: 'state_lost'; message: string };

/** A JSON answer larger than this is not a reply a chat turn can use; stop buffering it. */
const documentLimitChars = 16 * 1024 * 1024;

/**
 * Decodes an InvokeAgentRuntime response body as it arrives: SSE message by
 * message when the container streams (`text/event-stream`), else the whole
 * body as one document. A body that ends cleanly ends the turn (AgentCore
 * closes the stream when the container's entrypoint returns, and neither it
 * nor BedrockAgentCoreApp writes a terminator), so the last step is always
 * `end` or `failed`. A body that breaks off (a reset socket, a chunked body
 * cut short: the HTTP client raises) is a transport failure: the error
 * propagates to the caller.
 */
export async function* readResponseBody(body: AsyncIterable<Uint8Array | string>, contentType: string | undefined, decoder: TurnDecoder): AsyncIterable<BodyStep> {
  const utf8 = new TextDecoder();
  const text = (chunk: Uint8Array | string) => (typeof chunk === 'string' ? chunk : utf8.decode(chunk, { stream: true }));
  if (/^text\/event-stream\b/i.test(contentType ?? '')) {
    const sse = new SseDecoder();
    for await (const chunk of body) {
      for (const message of sse.push(text(chunk))) yield* classify(parseData(message.data), (data) => decoder.event(data));
    }
    yield* decoder.finish();
    return;
  }
  let document = '';
  for await (const chunk of body) {
    document += text(chunk);
    if (document.length > documentLimitChars) {
      yield { kind: 'failed', code: 'provider_response_too_large', message: `the agent's JSON answer exceeds ${documentLimitChars} characters` };
      return;
    }
  }
  document += utf8.decode();
  yield* classify(parseData(document), (data) => decoder.document(data));
}

/** The bedrock-agentcore SDK's error envelope first (any codec may see it), else the codec's reading. */
function classify(data: unknown, decode: (data: unknown) => CodecStep[]): BodyStep[] {
  const error = agentErrorSchema.safeParse(data);
  if (!error.success) return decode(data);
  if (error.data.error_type === sessionStateLostErrorType) return [{ kind: 'state_lost', message: error.data.error }];
  const type = error.data.error_type ? `${error.data.error_type}: ` : '';
  return [{ kind: 'failed', code: 'provider_agent_error', message: `the agent failed: ${type}${error.data.error}` }];
}
