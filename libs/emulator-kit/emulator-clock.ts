/**
 * The time an emulator lives in: real time plus an offset that only grows.
 * Emulators read it for every timestamp and check expiry lazily against it, so
 * a test can "wait" an hour by calling `advance` instead of sleeping.
 */
export class EmulatorClock {
  private offsetMs = 0;

  constructor(private readonly realNow: () => number = Date.now) {}

  /** Emulated epoch milliseconds. */
  now(): number {
    return this.realNow() + this.offsetMs;
  }

  nowIso(): string {
    return new Date(this.now()).toISOString();
  }

  /** How far the emulated time runs ahead of real time. */
  get offset(): number {
    return this.offsetMs;
  }

  /** Moves emulated time forward. Never backwards: timestamps already handed out must stay in the past. */
  advance(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`clock can only advance by a finite, non-negative amount, got ${ms}`);
    this.offsetMs += ms;
  }
}
