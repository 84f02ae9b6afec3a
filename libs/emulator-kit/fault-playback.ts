import type { ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Fault } from './fault-plan.js';
import { untilClosed } from './http-helpers.js';

/**
 * Plays a fault on a call before its handler runs, for every kind but
 * `status` (each emulator renders that in its provider's error shape).
 * A streaming route keeps the fault: it shapes the stream itself. On a plain
 * call, `delay` waits and then does the work even if the client gave up
 * meanwhile (as a real server would), `stall` never answers, and `truncate`
 * drops the connection without an answer.
 */
export async function playTransportFault(
  fault: Exclude<Fault, { kind: 'status' }>,
  res: ServerResponse,
  options: { streaming: boolean },
): Promise<'answered' | 'continue'> {
  if (options.streaming) return 'continue';
  switch (fault.kind) {
    case 'delay':
      await sleep(fault.ms);
      return 'continue';
    case 'stall':
      await untilClosed(res);
      return 'answered';
    case 'truncate':
      res.destroy();
      return 'answered';
    case 'omit':
      // Shapes the answer's content, not its transport: the handler plays it.
      return 'continue';
    case 'hold':
      // Holds the work itself where an emulator runs it (Claude's `turns.run`), not a call's transport.
      return 'continue';
  }
}
