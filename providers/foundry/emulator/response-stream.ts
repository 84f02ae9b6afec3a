import type { ServerResponse } from 'node:http';
import { setImmediate as nextTick, setTimeout as sleep } from 'node:timers/promises';
import { openEventStream, untilClosed, writeEvent, type Fault } from '#libs/emulator-kit';
import type { StreamEvent } from './response-events.js';

/** How a streamed response ended on the wire. */
export type StreamOutcome = 'completed' | 'truncated' | 'abandoned';

/**
 * Writes a Responses event stream: `event: <type>` and one JSON `data:` line
 * per event, each carrying its `sequence_number` (0, 1, 2...). The fault, if
 * any, shapes the stream: `delay` holds the first event back, `stall` never
 * sends one, `truncate` cuts the connection after `afterEvents` events, with
 * no `response.completed`. Resolves `abandoned` when the client leaves first.
 */
export async function writeResponseStream(
  res: ServerResponse,
  events: readonly StreamEvent[],
  options: { fault?: Fault; pacingMs: number },
): Promise<StreamOutcome> {
  const { fault, pacingMs } = options;
  openEventStream(res);
  const closed = untilClosed(res).then(() => 'closed' as const);
  if (fault?.kind === 'stall') {
    await closed;
    return 'abandoned';
  }
  if (fault?.kind === 'delay' && (await Promise.race([sleep(fault.ms).then(() => 'waited' as const), closed])) === 'closed') return 'abandoned';
  const cutAfter = fault?.kind === 'truncate' ? fault.afterEvents : Infinity;
  if (cutAfter === 0) {
    res.destroy();
    return 'truncated';
  }
  for (const [sequence_number, event] of events.entries()) {
    if (res.destroyed || res.writableEnded) return 'abandoned';
    const last = sequence_number + 1 === cutAfter;
    await new Promise<void>((resolve) => writeEvent(res, event.type, { ...event, sequence_number }, () => resolve()));
    if (last) {
      res.destroy();
      return 'truncated';
    }
    await (pacingMs > 0 ? sleep(pacingMs) : nextTick());
  }
  res.end();
  return 'completed';
}
