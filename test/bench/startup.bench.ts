import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { spawnBroker } from '../support/broker-process.js';
import { idleFrameworkRssMiB } from './framework.bench.js';
import { processMemoryMiB } from './stats.js';

export interface StartupFigures {
  database: 'embedded' | 'postgres';
  /** Whether the four emulated runtimes were loaded (the default without cloud credentials), or every runtime was off. */
  emulators?: boolean;
  /** Not the broker: the frameworks it is built on alone (Nest on Express, a pg connection), its idle RSS the floor under the broker's. */
  frameworksOnly?: boolean;
  /** From spawning `node main.js` to the first 200 from /readyz (null for the frameworks-only row). */
  firstBootToReadyMs: number | null;
  restartToReadyMs: number | null;
  /** Resident memory of the broker process after it has idled. */
  idleRssMiB: number;
}


async function bootToReady(env: Record<string, string>): Promise<{ ms: number; stop(): Promise<void>; pid: number }> {
  const began = performance.now();
  const broker = await spawnBroker(env);
  for (;;) {
    const response = await fetch(`${broker.url}/readyz`).catch(() => undefined);
    if (response?.status === 200) break;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const ms = Math.round(performance.now() - began);
  return {
    ms,
    pid: broker.child.pid!,
    async stop() {
      broker.child.kill('SIGTERM');
      await broker.exited;
    },
  };
}

/** Startup time to ready and idle memory, on the embedded database (and on PostgreSQL when DATABASE_URL is set). */
export async function benchStartup(databaseUrl: string | undefined): Promise<StartupFigures[]> {
  const results: StartupFigures[] = [];
  const dataDir = mkdtempSync(path.join(tmpdir(), 'switchboard-bench-'));
  try {
    const env = { SWITCHBOARD_DATA_DIR: dataDir, LOG_LEVEL: 'info', SWITCHBOARD_ADMIN_KEY: 'bench-operator-key-0123456789abcdef' };
    const first = await bootToReady(env);
    await first.stop();
    const second = await bootToReady(env);
    await new Promise((resolve) => setTimeout(resolve, 5000));
    const idle = processMemoryMiB(second.pid);
    await second.stop();
    results.push({ database: 'embedded', emulators: true, firstBootToReadyMs: first.ms, restartToReadyMs: second.ms, idleRssMiB: idle });
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
  if (databaseUrl) {
    const env = { DATABASE_URL: databaseUrl, LOG_LEVEL: 'info', SWITCHBOARD_ADMIN_KEY: 'bench-operator-key-0123456789abcdef' };
    const first = await bootToReady(env);
    await first.stop();
    const second = await bootToReady(env);
    await new Promise((resolve) => setTimeout(resolve, 5000));
    const idle = processMemoryMiB(second.pid);
    await second.stop();
    results.push({ database: 'postgres', emulators: true, firstBootToReadyMs: first.ms, restartToReadyMs: second.ms, idleRssMiB: idle });
    // Issue 17 item 7: PostgreSQL with every runtime off (no emulator, no SDK loaded): the broker's own floor.
    const bare = { ...env, SWITCHBOARD_CLAUDE_MODE: 'off', SWITCHBOARD_AGENTCORE_MODE: 'off', SWITCHBOARD_FOUNDRY_MODE: 'off', SWITCHBOARD_VERTEX_MODE: 'off' };
    const third = await bootToReady(bare);
    await new Promise((resolve) => setTimeout(resolve, 5000));
    const bareIdle = processMemoryMiB(third.pid);
    await third.stop();
    results.push({ database: 'postgres', emulators: false, firstBootToReadyMs: third.ms, restartToReadyMs: third.ms, idleRssMiB: bareIdle });
    // The floor under that figure: the frameworks the broker is built on, alone, with the same flags and pause.
    results.push({ database: 'postgres', emulators: false, frameworksOnly: true, firstBootToReadyMs: null, restartToReadyMs: null, idleRssMiB: await idleFrameworkRssMiB(databaseUrl, 5000) });
  }
  return results;
}
