/**
 * Runs `work` for every item, at most `concurrency` at a time, and settles
 * when all have. `work` handles its own failures (one item's failure must
 * not end the batch). `stopped` is asked before each item starts, so a
 * shutdown ends the batch early.
 */
export async function forEachBounded<T>(
  items: readonly T[],
  concurrency: number,
  work: (item: T) => Promise<void>,
  stopped: () => boolean = () => false,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length && !stopped()) {
      const item = items[next++];
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}

/**
 * A keyset position that walks a table in id order a batch at a time and
 * starts over at the end, so every row gets its turn whatever happens to
 * the rows before it (failures that stay pending never starve the rest).
 * A new pass starts no sooner than `passIntervalMs` after the previous one.
 */
export class RollingCursor {
  private afterId = '';
  private passStartedAt = Number.NEGATIVE_INFINITY;

  constructor(private readonly passIntervalMs: number) {}

  /** The id to continue after, or undefined while the next pass is not due. */
  position(now = Date.now()): string | undefined {
    if (this.afterId !== '') return this.afterId;
    if (now - this.passStartedAt < this.passIntervalMs) return undefined;
    this.passStartedAt = now;
    return '';
  }

  /** Moves past a batch; a short batch ends the pass. */
  advance(batch: ReadonlyArray<{ id: string }>, limit: number): void {
    this.afterId = batch.length < limit ? '' : batch[batch.length - 1].id;
  }
}
