import type { StoredEvent } from './api-types.js';

/** The fields every event carries (API.md §4), as the document describes a stored event. */
export type EventEnvelope = Omit<StoredEvent, 'type' | 'data'>;

type Text = { type: 'text'; text: string };

/** Data of each normalized event type (API.md §4, the same names for every runtime). */
export interface TurnEventData {
  'turn.started': Record<string, unknown>;
  'message.delta': { text: string };
  'message.completed': { role: 'agent'; content: Text[] };
  'tool.call': { id: string; name: string; input: unknown };
  'tool.result': { id: string; output: unknown; isError: boolean };
  'approval.requested': { toolCallId: string; name: string; input: unknown };
  'turn.completed': { usage: { inputTokens: number; outputTokens: number; [detail: string]: unknown }; durationMs: number; stopReason?: string };
  'turn.failed': { error: { code: string; message: string } };
}

export type TurnEventType = keyof TurnEventData;

/** One event of a turn, narrowed on `type`: `if (event.type === 'message.delta') event.data.text`. */
export type TurnEvent = { [K in TurnEventType]: EventEnvelope & { type: K; data: TurnEventData[K] } }[TurnEventType];

/** The events after which a turn's stream ends. */
export const isTerminal = (event: TurnEvent): boolean => event.type === 'turn.completed' || event.type === 'turn.failed';
