import { readFileSync } from 'node:fs';

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

/**
 * A process's memory from /proc, in MiB to one decimal: `VmRSS` (resident
 * now) or `VmHWM` (the resident peak since it started).
 */
export function processMemoryMiB(pid: number, field: 'VmRSS' | 'VmHWM' = 'VmRSS'): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? NaN);
  return Math.round((kib / 1024) * 10) / 10;
}
