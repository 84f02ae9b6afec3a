import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The `switchboard` bin as npm links it (packages/cli/bin), run with this Node. */
export const cliBin = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../packages/cli/bin/switchboard.js');

export interface ProcessRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Each stdout chunk with the time it arrived (ms since start), to see output stream. */
  chunks: Array<{ at: number; text: string }>;
}

/**
 * Runs a process to its exit, asynchronously: the broker under test runs in
 * this process, so a synchronous spawn would stall it. Only the environment
 * given (plus PATH unless given) is passed on.
 */
export function runProcess(command: string, args: string[], options: { env: Record<string, string>; cwd?: string; input?: string }): Promise<ProcessRun> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(command, args, { cwd: options.cwd, env: { PATH: process.env.PATH ?? '', ...options.env }, stdio: ['pipe', 'pipe', 'pipe'] });
    const run: ProcessRun = { code: null, stdout: '', stderr: '', chunks: [] };
    child.stdout.on('data', (chunk: Buffer) => {
      run.stdout += chunk.toString();
      run.chunks.push({ at: performance.now() - started, text: chunk.toString() });
    });
    child.stderr.on('data', (chunk: Buffer) => (run.stderr += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ ...run, code }));
    child.stdin.end(options.input);
  });
}

export type CliRun = ProcessRun;

/** Runs the CLI to its exit with exactly the environment given (plus PATH), nothing inherited. */
export function runCli(args: string[], env: Record<string, string>): Promise<CliRun> {
  return runProcess(process.execPath, [cliBin, ...args], { env });
}
