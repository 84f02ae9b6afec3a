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
]);

/** A fault as a caller writes it (`times` optional). */
export type FaultInput = z.input<typeof faultSchema>;
/** A fault as the plan hands it out. */
export type Fault = z.output<typeof faultSchema>;

/** Per operation, a FIFO queue of faults; each is handed out `times` times, then dropped. */
export class FaultPlan {
  private readonly queues = new Map<string, Array<{ fault: Fault; remaining: number }>>();

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

  clear(): void {
    this.queues.clear();
  }
}
