import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { spawnBroker } from '../support/broker-process.js';
import { processMemoryMiB } from './stats.js';

export interface StartupFigures {
  database: 'embedded' | 'postgres';
  /** Whether the four emulated runtimes were loaded (the default without cloud credentials), or every runtime was off. */
  emulators?: boolean;
  /** From spawning `node main.js` to the first 200 from /readyz. */
  firstBootToReadyMs: number;
  restartToReadyMs: number;
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
  }
  return results;
}
