import { Injectable, type OnModuleInit } from '@nestjs/common';
import { TurnBus } from './turn-bus.js';

/** The reason a turn's stop signal carries when a client cancelled it (not a termination of its session). */
export class TurnCancelled extends Error {
  constructor() {
    super('the turn was cancelled');
    this.name = 'TurnCancelled';
  }
}

/** How long a cancel request for a turn not (yet) running here is remembered: the turn may be between its claim and its start. */
const earlyCancelMs = 60_000;

/**
 * Cancels turns wherever they run (API.md §4, POST .../cancel): the request
 * goes over the live-turn bus to every replica, and the one running the turn
 * aborts its stop signal with {@link TurnCancelled}; the adapter then
 * interrupts the provider (Claude `user.interrupt`, closing the response
 * stream elsewhere) and the turn settles as `turn.failed` code `cancelled`.
 */
@Injectable()
export class TurnCancellations implements OnModuleInit {
  private readonly running = new Map<string, AbortController>();
  private readonly early = new Map<string, number>();

  constructor(private readonly bus: TurnBus) {}

  onModuleInit(): void {
    this.bus.onCancelRequest((turnId) => this.cancelHere(turnId));
  }

  /** The turn runs here under `controller` until the returned untrack. */
  track(turnId: string, controller: AbortController): () => void {
    this.running.set(turnId, controller);
    if (this.early.delete(turnId)) this.cancelHere(turnId);
    return () => {
      if (this.running.get(turnId) === controller) this.running.delete(turnId);
    };
  }

  /** Asks the replica running the turn to cancel it. */
  request(turnId: string): Promise<void> {
    return this.bus.requestCancel(turnId);
  }

  private cancelHere(turnId: string): void {
    const controller = this.running.get(turnId);
    if (controller) {
      if (!controller.signal.aborted) controller.abort(new TurnCancelled());
      return;
    }
    const now = Date.now();
    for (const [id, at] of this.early) if (now - at > earlyCancelMs) this.early.delete(id);
    this.early.set(turnId, now);
  }
}
