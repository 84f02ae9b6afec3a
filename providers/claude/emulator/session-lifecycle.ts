import type { EmulatorClock } from '#libs/emulator-kit';
import { conflict } from './api-errors.js';
import type { SessionRecord, SessionStore } from './session-store.js';
import type { TurnRunner } from './turn-runner.js';

/**
 * The ways a session stops for good, each stopping its turns first so no
 * event lands after the end: archive and terminate keep it readable as
 * `terminated`; delete and expire forget it.
 */
export class SessionLifecycle {
  constructor(
    private readonly store: SessionStore,
    private readonly runner: TurnRunner,
    private readonly clock: EmulatorClock,
  ) {}

  /** Archived sessions are read-only and `terminated`. Archiving twice changes nothing. */
  archive(session: SessionRecord): void {
    if (session.archivedAt !== null) return;
    session.archivedAt = this.clock.now();
    this.end(session, []);
  }

  /** The provider gave up on the session: `session.error` (terminal), then `session.status_terminated`. */
  terminate(session: SessionRecord, message: string): void {
    const error = { type: 'unknown_error', message, retry_status: { type: 'terminal' } };
    this.end(session, [{ type: 'session.error', error }]);
  }

  /** Streams see `session.deleted` and end; later calls get 404. */
  delete(session: SessionRecord): void {
    this.runner.halt(session);
    this.store.append(session, { type: 'session.deleted' });
    this.store.remove(session);
  }

  /** The provider lost the session without a word: streams just end, later calls get 404. */
  expire(session: SessionRecord): void {
    this.runner.halt(session);
    this.store.remove(session);
  }

  /** Sends and updates to a terminated session are conflicts (HTTP 409). */
  assertWritable(session: SessionRecord): void {
    if (session.archivedAt !== null) throw conflict(`session ${session.id} is archived and read-only`);
    if (session.status === 'terminated') throw conflict(`session ${session.id} is terminated`);
  }

  private end(session: SessionRecord, lastWords: Array<{ type: string; [field: string]: unknown }>): void {
    this.runner.halt(session);
    this.store.touch(session);
    if (session.status === 'terminated') return;
    session.status = 'terminated';
    for (const event of [...lastWords, { type: 'session.status_terminated' }]) this.store.append(session, event);
    this.store.endStreams(session);
  }
}
