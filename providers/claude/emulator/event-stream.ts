import type { ServerResponse } from 'node:http';
import { writeEvent, type Fault } from '#libs/emulator-kit';
import type { DeltaEvent, SessionEvent, StreamListener } from './session-store.js';

/**
 * One `GET /v1/sessions/{id}/events/stream` connection. It forwards events
 * appended after it connected (the API has no replay), drops stream-only
 * deltas the client did not ask for, and plays the connection's fault:
 * `delay` holds events back for a while, `truncate` kills the socket after
 * n events, `stall` delivers nothing.
 */
export class EventStreamListener implements StreamListener {
  private delivered = 0;
  /** Set once a `truncate` fault has let its last event through. */
  private cut = false;
  /** Events held back while a `delay` fault runs. */
  private held: Array<SessionEvent | DeltaEvent> | undefined;

  constructor(
    private readonly res: ServerResponse,
    private readonly deltaTypes: ReadonlySet<string>,
    private readonly fault?: Fault,
  ) {
    if (fault?.kind === 'delay') this.holdFor(fault.ms);
    if (fault?.kind === 'truncate' && fault.afterEvents === 0) res.destroy();
  }

  deliver(event: SessionEvent | DeltaEvent, deltaOf?: string): void {
    if (deltaOf !== undefined && !this.deltaTypes.has(deltaOf)) return;
    if (this.fault?.kind === 'stall') return;
    if (this.held) this.held.push(event);
    else this.write(event);
  }

  /** A stalled stream stays open regardless: it ends only when the client gives up. */
  end(): void {
    if (this.fault?.kind === 'stall') return;
    this.release();
    if (!this.res.destroyed && !this.cut) this.res.end();
  }

  private holdFor(ms: number): void {
    this.held = [];
    const timer = setTimeout(() => this.release(), ms);
    this.res.once('close', () => clearTimeout(timer));
  }

  private release(): void {
    const held = this.held ?? [];
    this.held = undefined;
    for (const event of held) this.write(event);
  }

  private write(event: SessionEvent | DeltaEvent): void {
    if (this.res.destroyed || this.cut) return;
    this.delivered += 1;
    this.cut = this.fault?.kind === 'truncate' && this.delivered >= this.fault.afterEvents;
    // A cut stream gets no terminator and no clean end: the client sees the connection drop mid-stream.
    writeEvent(this.res, event.type, event, this.cut ? () => this.res.destroy() : undefined);
  }
}
