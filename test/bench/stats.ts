import { readdirSync, readFileSync } from 'node:fs';

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

/** A process's CPU time so far (user + system), in ms, from /proc/<pid>/stat. */
export function processCpuMs(pid: number): number {
  // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  const ticksPerSecond = 100; // USER_HZ: 100 on Linux x86-64 and arm64
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / ticksPerSecond;
}

/**
 * CPU time so far of every PostgreSQL process on this machine (its
 * backends, WAL writer, checkpointer), in ms: with the broker's own, what
 * a turn costs the two cores it shares. Meaningful only against a local
 * server and with nothing else using it.
 */
export function localPostgresCpuMs(): number {
  let total = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (stat.includes(' (postgres) ')) total += processCpuMs(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return total;
}
