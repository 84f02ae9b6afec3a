import { z } from 'zod';
import { taggedUnion } from '../http/openapi-components.js';
import { problemSchema } from '../http/problem-responses.js';
import type { EventType } from './session.schemas.js';

/**
 * The transcript's and the event streams' events as clients see them (API.md
 * §4): one named schema per type, told apart by `type`. These describe the
 * answers; the broker builds events as `SessionEventView` (session.schemas.ts).
 */

const textPart = z.object({ type: z.literal('text'), text: z.string() }).meta({ id: 'TextPart' });
const turnError = z.object({ code: z.string(), message: z.string() }).meta({ id: 'TurnError', description: '`cancelled` for a cancelled turn' });

const truncation = z
  .object({ originalBytes: z.number().int(), maxBytes: z.number().int() })
  .meta({ id: 'EventTruncation', description: 'Present when the provider sent more than EVENT_CONTENT_MAX_BYTES: the longest strings were cut, each ending in "…[truncated]"' });
/** What is left of a provider's event with nothing long enough to cut (event-content.ts): its short fields and a preview. */
const previewData = z
  .object({ preview: z.string(), truncated: truncation })
  .loose()
  .meta({ id: 'TruncatedEventData', description: "A provider's event too large to keep whole: its short top-level fields, and a preview of its JSON" });
/** A provider's event data: as sent, or cut down to fit the stored-content cap. */
const providerData = <T extends z.ZodRawShape>(shape: T) => z.union([z.object({ ...shape, truncated: truncation.optional() }), previewData]);

const envelope = {
  id: z.string().describe('evt_…'),
  sessionId: z.string(),
  turnId: z.string().nullable(),
  seq: z.number().int().describe('Per session, increasing; the SSE `id:` (resume with Last-Event-ID)'),
  at: z.string().describe('RFC 3339'),
};
const eventOf = <const Type extends EventType, Data extends z.ZodType>(type: Type, id: string, data: Data) =>
  z.object({ ...envelope, type: z.literal(type), data }).meta({ id });

export const sessionEvent = taggedUnion(
  'type',
  [
    eventOf('turn.started', 'TurnStartedEvent', z.object({ input: z.array(textPart) })),
    eventOf('message.delta', 'MessageDeltaEvent', z.object({ text: z.string(), truncated: truncation.optional() })),
    eventOf('message.completed', 'MessageCompletedEvent', providerData({ role: z.literal('agent'), content: z.array(textPart) })),
    eventOf('tool.call', 'ToolCallEvent', providerData({ id: z.string(), name: z.string(), input: z.unknown() })),
    eventOf('tool.result', 'ToolResultEvent', providerData({ id: z.string(), output: z.unknown(), isError: z.boolean() })),
    eventOf('approval.requested', 'ApprovalRequestedEvent', providerData({ toolCallId: z.string(), name: z.string(), input: z.unknown() })),
    eventOf(
      'turn.completed',
      'TurnCompletedEvent',
      z.object({
        usage: z.object({ inputTokens: z.number().int(), outputTokens: z.number().int() }),
        durationMs: z.number().int(),
        stopReason: z.literal('requires_action').optional().describe('The turn waits for tool approvals'),
      }),
    ),
    eventOf('turn.failed', 'TurnFailedEvent', z.object({ error: turnError })),
  ],
  { id: 'Event', description: 'One event of a turn; `data` by `type`. `message.delta` is streamed, never stored' },
);

export const eventPage = z
  .object({ data: z.array(sessionEvent), nextAfter: z.number().int().nullable().describe('The seq to continue after; null at the end') })
  .meta({ id: 'EventPage' });

/** One message of a turn's event stream: an event (`event:` its type), or the Problem that ended the stream (`event: error`). */
export const turnStreamData = z.union([sessionEvent, problemSchema]).meta({
  id: 'TurnStreamData',
  description: 'The `data:` of one Server-Sent Event: an Event (`event:` its type, `id:` its seq) or, as `event: error`, the Problem that ended the stream',
});
