import { AppError } from '#libs/errors';
import type { InputPart } from '#libs/runtime-spec';

/** The UTF-8 size of a value as the transcript stores and streams it (JSON). */
export function jsonBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value));
}

/**
 * Refuses a turn input over either limit, before anything is claimed or
 * stored: the text itself (TURN_INPUT_MAX_BYTES), and the `turn.started`
 * event that records it (EVENT_CONTENT_MAX_BYTES).
 */
export function checkTurnInput(input: InputPart[], limits: { turnInputMaxBytes: number; eventContentMaxBytes: number }): void {
  const textBytes = input.reduce((sum, part) => sum + Buffer.byteLength(part.text), 0);
  if (textBytes > limits.turnInputMaxBytes) {
    throw new AppError('payload_too_large', `the turn input is ${textBytes} bytes of text; at most ${limits.turnInputMaxBytes} are accepted`, {
      limitBytes: limits.turnInputMaxBytes,
    });
  }
  const eventBytes = jsonBytes({ input });
  if (eventBytes > limits.eventContentMaxBytes) {
    throw new AppError('payload_too_large', `the turn input is ${eventBytes} bytes as a stored event; at most ${limits.eventContentMaxBytes} are accepted`, {
      limitBytes: limits.eventContentMaxBytes,
    });
  }
}

/** What is kept of a string cut short, after its kept part. */
export const truncationMarker = '…[truncated]';
/** Room left for the `truncated` field itself. */
const markerRoom = 256;

interface StringSlot {
  holder: Record<string, unknown> | unknown[];
  key: string | number;
  value: string;
}

function longestString(value: unknown, holder?: StringSlot['holder'], key?: string | number): StringSlot | undefined {
  if (typeof value === 'string') return holder !== undefined && key !== undefined ? { holder, key, value } : undefined;
  if (value === null || typeof value !== 'object') return undefined;
  let best: StringSlot | undefined;
  const entries: Array<[string | number, unknown]> = Array.isArray(value) ? value.map((item, index) => [index, item]) : Object.entries(value);
  for (const [childKey, child] of entries) {
    const found = longestString(child, value as StringSlot['holder'], childKey);
    if (found && (!best || found.value.length > best.value.length)) best = found;
  }
  return best;
}

/**
 * A provider's event whose data is over `maxBytes` as JSON is stored (and
 * streamed) cut down rather than failing the turn: its longest strings are
 * shortened, each ending in {@link truncationMarker}, and the data gains
 * `truncated: {originalBytes, maxBytes}`. Data with no long string to cut
 * keeps its short top-level fields and a `preview` of its JSON.
 */
export function capEventContent(data: Record<string, unknown>, maxBytes: number): Record<string, unknown> {
  const originalBytes = jsonBytes(data);
  if (originalBytes <= maxBytes) return data;
  const truncated = { originalBytes, maxBytes };
  const capped = structuredClone(data);
  const budget = maxBytes - markerRoom;
  for (let round = 0; round < 16; round++) {
    const excess = jsonBytes(capped) - budget;
    if (excess <= 0) return { ...capped, truncated };
    const slot = longestString(capped);
    if (!slot || slot.value.length <= truncationMarker.length) break;
    // Each character cut removes at least one byte of JSON, so cutting `excess` characters is enough for this string.
    (slot.holder as Record<string | number, unknown>)[slot.key] = cutAt(slot.value, slot.value.length - excess - truncationMarker.length) + truncationMarker;
  }
  // Short scalar fields (an id, a name) stay while they take at most half the room.
  const kept: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(data)) {
    if (!(typeof value === 'number' || typeof value === 'boolean' || (typeof value === 'string' && value.length <= 256))) continue;
    if (jsonBytes({ ...kept, [key]: value }) > budget / 2) break;
    kept[key] = value;
  }
  const previewChars = Math.max(0, Math.floor(budget / 6) - jsonBytes(kept));
  return { ...kept, preview: cutAt(JSON.stringify(data), previewChars) + truncationMarker, truncated };
}

/** The first `chars` characters, one fewer rather than half a surrogate pair (jsonb refuses a lone surrogate). */
function cutAt(text: string, chars: number): string {
  let keep = Math.max(0, chars);
  if (keep > 0 && keep < text.length && /[\ud800-\udbff]/.test(text[keep - 1])) keep--;
  return text.slice(0, keep);
}
