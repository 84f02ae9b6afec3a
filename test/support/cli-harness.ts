import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startClientFixture, type ClientFixture } from './client-fixture.js';
import { runCli, type CliRun } from './cli-process.js';

/** A broker for CLI tests, a throwaway HOME/XDG_CONFIG_HOME, and ways to run the CLI as each role. */
export interface CliHarness {
  fx: ClientFixture;
  home: string;
  /** The CLI's environment: the throwaway home, plus `extra`. */
  env(extra?: Record<string, string>): Record<string, string>;
  /** Runs the CLI as a role, connected through the environment variables. */
  as(role: keyof ClientFixture['keys'], args: string[], user?: string): Promise<CliRun>;
  close(): Promise<void>;
}

export async function startCliHarness(pacingMs?: number): Promise<CliHarness> {
  const fx = await startClientFixture(pacingMs);
  const home = mkdtempSync(path.join(tmpdir(), 'switchboard-cli-'));
  const env = (extra: Record<string, string> = {}) => ({ XDG_CONFIG_HOME: home, HOME: home, ...extra });
  return {
    fx,
    home,
    env,
    as: (role, args, user) => runCli(args, env({ SWITCHBOARD_URL: fx.sb.url, SWITCHBOARD_API_KEY: fx.keys[role].key, ...(user ? { SWITCHBOARD_END_USER: user } : {}) })),
    async close() {
      await fx.close();
      rmSync(home, { recursive: true, force: true });
    },
  };
}

/** The stdout of a run that must have exited 0. */
export function ok(run: CliRun): string {
  assert.equal(run.code, 0, `exit ${run.code}\n${run.stdout}\n${run.stderr}`);
  return run.stdout;
}

/** The parsed `--json` stdout of a run that must have exited 0. */
export const json = async (run: Promise<CliRun>) => JSON.parse(ok(await run));
