import type { SendableEvent } from './wire-schemas.js';
import type { SessionEvent, SessionRecord, SessionStore } from './session-store.js';
import type { TurnRunner } from './turn-runner.js';

/**
 * Takes events a client sent (or a session's `initial_events`) in order:
 * each `user.message` queues a turn, a `user.tool_confirmation` for the
 * tool call the agent waits on queues the rest of that turn, `user.interrupt`
 * jumps the queue and stops the running turn, anything else is logged as
 * processed and has no effect on the emulated agent. Returns the events as the send call echoes
 * them, with their ids and `processed_at: null` while still queued.
 */
export function submitEvents(store: SessionStore, runner: TurnRunner, session: SessionRecord, events: readonly SendableEvent[]): SessionEvent[] {
  const accepted = events.map((event) => store.enqueue(session, event));
  for (const event of accepted) {
    if (event.type === 'user.message' || (event.type === 'user.tool_confirmation' && runner.awaits(session, event))) {
      runner.enqueue(session, event);
      continue;
    }
    store.markProcessed(session, event);
    if (event.type === 'user.interrupt') runner.interrupt(session);
  }
  // Copies: the queued originals get their processed_at later, the echo must not.
  return accepted.map((event) => ({ ...event }));
}
