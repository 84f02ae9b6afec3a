/**
 * Writes of one key (a tenant) queued while that key's transaction runs and
 * committed together by the next one — a group commit. Used where every
 * write of a key serialises on one row (a tenant's audit chain head): one
 * hold of the row and one COMMIT for many writes is what lets them scale
 * (issue 17).
 *
 * `commit(key, batch)` writes a batch (at most `maxBatch` entries, in the
 * order they were submitted) in one transaction and returns how each entry
 * settles: `settle(i)` gives the i-th entry's result or throws its error
 * (a refusal decided in the transaction, say). Should the transaction fail,
 * each entry of the batch is tried again alone, so one bad entry cannot fail
 * the others, and an entry's own failure reaches only its caller. One batch
 * per key runs at a time on this replica; different keys run side by side.
 */
export class GroupCommit<Entry, Result> {
  private readonly waiting = new Map<string, Array<Submitted<Entry, Result>>>();
  private readonly committing = new Set<string>();

  constructor(
    private readonly commit: (key: string, batch: Entry[]) => Promise<(index: number) => Result>,
    private readonly maxBatch = 64,
  ) {}

  /** Resolves once `entry` is committed, with its result. */
  submit(key: string, entry: Entry): Promise<Result> {
    return new Promise<Result>((resolve, reject) => {
      const queue = this.waiting.get(key);
      if (queue) queue.push({ entry, resolve, reject });
      else this.waiting.set(key, [{ entry, resolve, reject }]);
      this.next(key);
    });
  }

  private next(key: string): void {
    if (this.committing.has(key)) return;
    const queue = this.waiting.get(key);
    if (!queue) return;
    const batch = queue.splice(0, this.maxBatch);
    if (queue.length === 0) this.waiting.delete(key);
    this.committing.add(key);
    void this.commitBatch(key, batch).finally(() => {
      this.committing.delete(key);
      this.next(key);
    });
  }

  private async commitBatch(key: string, batch: Array<Submitted<Entry, Result>>): Promise<void> {
    let settle: (index: number) => Result;
    try {
      settle = await this.commit(
        key,
        batch.map((submitted) => submitted.entry),
      );
    } catch (error) {
      if (batch.length === 1) {
        batch[0].reject(error);
        return;
      }
      for (const submitted of batch) await this.commitBatch(key, [submitted]);
      return;
    }
    batch.forEach((submitted, index) => {
      try {
        submitted.resolve(settle(index));
      } catch (error) {
        submitted.reject(error);
      }
    });
  }
}

interface Submitted<Entry, Result> {
  entry: Entry;
  resolve(result: Result): void;
  reject(error: unknown): void;
}
