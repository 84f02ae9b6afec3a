/** Percentile by nearest rank over a copy of `values` (ms). */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return Math.round(sorted[rank] * 100) / 100;
}

/** Runs `workers` loops of `perWorker` calls each, all at once; returns every call's result. */
export async function runConcurrently<T>(workers: number, perWorker: number, call: (worker: number, index: number) => Promise<T>): Promise<T[]> {
  const results: T[] = [];
  await Promise.all(
    Array.from({ length: workers }, async (_, worker) => {
      for (let index = 0; index < perWorker; index++) results.push(await call(worker, index));
    }),
  );
  return results;
}
