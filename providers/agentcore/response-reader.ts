import { Readable } from 'node:stream';
import { drainRest } from '#libs/provider-kit';
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

/** The response body as the SDK hands it over: in Node, the `http.IncomingMessage` of the kept-alive connection. */
export type ResponseBody = AsyncIterable<Uint8Array | string> & { destroy?: (error?: Error) => void };

/**
 * The body to read a turn from, such that stopping early (the codec's `end`
 * before the body's own end: the strands `result` event comes before the
 * container's entrypoint returns) does not destroy the socket, as `for await`
 * on a Readable does on an early exit: {@link releaseBody} decides.
 */
export function readableKeepingConnection(body: ResponseBody): ResponseBody {
  if (!(body instanceof Readable)) return body;
  return { [Symbol.asyncIterator]: () => body.iterator({ destroyOnReturn: false }) };
}

/**
 * Lets go of the body once the turn is over: after a clean end, the rest of
 * the response is drained so that the connection is kept alive for the next
 * turn (see drainRest); after anything else (a failure, the client gone) it
 * is destroyed, which closes the connection.
 */
export function releaseBody(body: ResponseBody | undefined, endedCleanly: boolean): void {
  if (!(body instanceof Readable)) return body?.destroy?.();
  if (body.readableEnded || body.destroyed) return;
  if (!endedCleanly) return void body.destroy();
  drainRest(body.iterator({ destroyOnReturn: true }), () => body.destroy());
}
