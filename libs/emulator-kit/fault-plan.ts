import { z } from 'zod';

const times = z.number().int().positive().default(1);

/**
 * One injected failure. Each emulator decides where a kind applies; the
 * shared meaning is:
 * - `status`: answer with this HTTP status (and optional body/headers) instead of doing the work;
 * - `delay`: wait `ms` of real time before answering, or before the first streamed event;
 * - `truncate`: stream `afterEvents` events, then destroy the socket without a terminator;
 * - `stall`: never answer; give up only when the client disconnects.
 * - `omit`: answer, but leave out a part the real service may leave out (which part: the operation says, e.g. a response's usage).
 * - `hold`: start the work, then wait until the plan is released (`POST /_emulator/release`) or the client gives up:
 *   thousands of turns held open at once, each finishing normally when let go (the open-streams bench).
 * `times` is how many consecutive operations the fault hits.
 */
export const faultSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('status'),
    status: z.number().int().min(400).max(599),
    body: z.unknown().optional(),
    headers: z.record(z.string(), z.string()).optional(),
    times,
  }),
  z.object({ kind: z.literal('delay'), ms: z.number().int().nonnegative(), times }),
  z.object({ kind: z.literal('truncate'), afterEvents: z.number().int().nonnegative(), times }),
  z.object({ kind: z.literal('stall'), times }),
  z.object({ kind: z.literal('omit'), times }),
  z.object({ kind: z.literal('hold'), times }),
]);

/** A fault as a caller writes it (`times` optional). */
export type FaultInput = z.input<typeof faultSchema>;
/** A fault as the plan hands it out. */
export type Fault = z.output<typeof faultSchema>;

/** Per operation, a FIFO queue of faults; each is handed out `times` times, then dropped. */
export class FaultPlan {
  private readonly queues = new Map<string, Array<{ fault: Fault; remaining: number }>>();
  /** Work held by `hold` faults, each waiting for `release()`. */
  private readonly holds = new Set<() => void>();

  add(op: string, fault: FaultInput): void {
    const parsed = faultSchema.parse(fault);
    const queue = this.queues.get(op) ?? [];
    queue.push({ fault: parsed, remaining: parsed.times });
    this.queues.set(op, queue);
  }

  /** The fault the next `op` must suffer, if any; consumes one of its `times`. */
  take(op: string): Fault | undefined {
    const queue = this.queues.get(op);
    const head = queue?.[0];
    if (!queue || !head) return undefined;
    head.remaining -= 1;
    if (head.remaining === 0) queue.shift();
    if (queue.length === 0) this.queues.delete(op);
    return head.fault;
  }

  /** How many more operations named `op` will be hit. */
  pending(op: string): number {
    return (this.queues.get(op) ?? []).reduce((sum, entry) => sum + entry.remaining, 0);
  }

  /**
   * Where a `hold` fault applies, the work waits here: resolves on `release()`,
   * rejects with the signal's reason when the client gives up first.
   */
  held(signal?: AbortSignal): Promise<void> {
    const gaveUp = () => (signal?.reason instanceof Error ? signal.reason : new Error('the client gave up'));
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(gaveUp());
      const onAbort = () => {
        this.holds.delete(letGo);
        reject(gaveUp());
      };
      const letGo = () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      this.holds.add(letGo);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** How much work `hold` faults are holding now. */
  holding(): number {
    return this.holds.size;
  }

  /** Lets every held piece of work go on; returns how many there were. */
  release(): number {
    const released = [...this.holds];
    this.holds.clear();
    for (const letGo of released) letGo();
    return released.length;
  }

  /** Drops every queued fault and lets held work go (nothing stays held by a plan that was reset). */
  clear(): void {
    this.queues.clear();
    this.release();
  }
}
