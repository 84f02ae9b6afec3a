/**
 * Counters keyed by operation name, so a test can assert how often an
 * emulator really did something (for example that a retried send ran the
 * turn once).
 */
export class EmulatorStats {
  private readonly counts = new Map<string, number>();

  count(op: string, by = 1): void {
    this.counts.set(op, this.get(op) + by);
  }

  get(op: string): number {
    return this.counts.get(op) ?? 0;
  }

  snapshot(): Record<string, number> {
    return Object.fromEntries([...this.counts].sort(([a], [b]) => a.localeCompare(b)));
  }

  reset(): void {
    this.counts.clear();
  }
}
