import type { RuntimeEvent } from '#libs/runtime-spec';
import type { ResponseCodecName } from '../agentcore-target.js';
import { strandsMessageSchema } from '../agentcore-wire.js';

/** What one piece of an agent's response means for the turn. */
export type CodecStep =
  | { kind: 'emit'; event: Exclude<RuntimeEvent, { type: 'turn.end' | 'turn.error' }> }
  /** Tokens of one model call, to add to the turn's total. */
  | { kind: 'usage'; inputTokens: number; outputTokens: number }
  /** The agent finished the turn: the body ended cleanly, or the codec saw the agent's own last word. */
  | { kind: 'end' }
  /** The agent reported in-band that the turn failed. */
  | { kind: 'failed'; code: string; message: string }
  | { kind: 'ignore'; what: string };

/**
 * Decodes the response body of one InvokeAgentRuntime call. AgentCore passes
 * the agent container's bytes through untouched, so the target names the
 * codec that matches what its container writes. Pure: no I/O, no clock.
 */
export interface ResponseCodec {
  readonly name: ResponseCodecName;
  /** A decoder for one turn (it may keep state across the turn's events). */
  startTurn(): TurnDecoder;
}

export interface TurnDecoder {
  /** One SSE message's data: parsed JSON when it is JSON, else the raw text. */
  event(data: unknown): CodecStep[];
  /** A whole non-SSE body (`application/json` or other): parsed JSON when it is JSON, else the raw text. Complete by definition. */
  document(body: unknown): CodecStep[];
  /**
   * The event stream ended cleanly (the entrypoint returned: AgentCore and
   * BedrockAgentCoreApp add no terminator of their own), so the turn is over.
   * Ends with `end`. A body that breaks off never gets here: that is a
   * transport failure, reported by the reader.
   */
  finish(): CodecStep[];
}

export const ignore = (what: string): CodecStep => ({ kind: 'ignore', what });

export const completed = (text: string): CodecStep[] =>
  text === '' ? [] : [{ kind: 'emit', event: { type: 'message.completed', content: [{ type: 'text', text }] } }];

/** The text blocks of a Converse-style message, joined; undefined when `value` is not such a message. */
export function messageText(value: unknown): string | undefined {
  const message = strandsMessageSchema.safeParse(value);
  if (!message.success) return undefined;
  return message.data.content.flatMap((block) => (block.text === undefined ? [] : [block.text])).join('');
}
