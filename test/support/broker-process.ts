import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { generousPlatformLimits } from './platform-limits.js';

const mainScript = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../apps/broker/src/main.js');
const packageJson = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../package.json');

/**
 * The Node flags of `npm start` (its heap budget), read from package.json so
 * a spawned broker runs with exactly what users run.
 */
export function startScriptNodeFlags(): string[] {
  const { scripts } = JSON.parse(readFileSync(packageJson, 'utf8')) as { scripts: { start: string } };
  const words = scripts.start.split(/\s+/);
  if (words[0] !== 'node') throw new Error(`package.json's start script does not run node: ${scripts.start}`);
  return words.slice(1).filter((word) => word.startsWith('--'));
}

export interface BrokerProcess {
  child: ChildProcess;
  url: string;
  output(): string;
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
}

/** Runs `node dist/apps/broker/src/main.js` exactly as `npm start` does, and waits until it listens. */
export async function spawnBroker(env: Record<string, string>, timeoutMs = 60_000, extraNodeFlags: string[] = []): Promise<BrokerProcess> {
  const child = spawn(process.execPath, [...startScriptNodeFlags(), ...extraNodeFlags, mainScript], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', ...generousPlatformLimits, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      // A broker that never listened is not left running behind the failed test.
      child.kill('SIGKILL');
      reject(new Error(`broker did not start in ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    const check = () => {
      const match = /listening on (http:\/\/[\d.]+:\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout.on('data', check);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`broker exited with ${code} before listening:\n${output}`));
    });
  });
  return { child, url, output: () => output, exited };
}

/** Starts a process that is expected to fail; resolves with its exit code and output. */
export function runBrokerToExit(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...startScriptNodeFlags(), mainScript], {
      env: { PATH: process.env.PATH ?? '', PORT: '0', HOST: '127.0.0.1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code) => resolve({ code, output }));
  });
}
