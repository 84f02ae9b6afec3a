import { readdirSync, readFileSync } from 'node:fs';

/** Percentile by nearest rank over a copy of `values` (ms). */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return Math.round(sorted[rank] * 100) / 100;
}

/**
 * Runs `workers` loops of `perWorker` calls each, all at once; returns every
 * call's result. With `pauseMs`, a worker waits that long before each call
 * (its first included, so workers do not start in lockstep): an open,
 * non-saturating load instead of back-to-back calls.
 */
export async function runConcurrently<T>(
  workers: number,
  perWorker: number,
  call: (worker: number, index: number) => Promise<T>,
  pauseMs?: (worker: number, index: number) => number,
): Promise<T[]> {
  const results: T[] = [];
  await Promise.all(
    Array.from({ length: workers }, async (_, worker) => {
      for (let index = 0; index < perWorker; index++) {
        if (pauseMs) await new Promise((resolve) => setTimeout(resolve, pauseMs(worker, index)));
        results.push(await call(worker, index));
      }
    }),
  );
  return results;
}

/**
 * A pause drawn uniformly from [mean/2, 3·mean/2], the same for the same
 * (worker, index) on every run, so two compared runs see one schedule.
 */
export function jitteredPause(meanMs: number): (worker: number, index: number) => number {
  return (worker, index) => {
    // A 32-bit integer hash of (worker, index), mapped to [0, 1).
    let h = Math.imul(worker + 1, 0x9e3779b1) ^ Math.imul(index + 1, 0x85ebca77);
    h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d);
    h ^= h >>> 12;
    return meanMs * (0.5 + (h >>> 0) / 2 ** 32);
  };
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
