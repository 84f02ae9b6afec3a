import { Worker } from 'node:worker_threads';
import type { RuntimeAdapter } from '#libs/runtime-spec';
import type { AdapterLog } from './debug-log.js';
import type { StandaloneEmulator, StartedRuntime } from './runtime-module.js';

/**
 * Where an emulated runtime's emulator runs. `in-process`: on the broker's
 * own event loop, where tests reach its handle to inject faults. `thread`:
 * on a worker thread of its own, so the emulator's CPU does not queue the
 * broker's requests, as a remote provider's would not (the turn bench
 * measures the broker this way).
 */
export type EmulatorPlacement = 'in-process' | 'thread';

/**
 * How to start a provider's emulator: the module that exports its start
 * function (a URL, so a worker thread can import it too) and that
 * function's name. The start function takes `{ host?, port?, pacingMs? }`
 * and resolves to an emulator with at least `url`, `demoTarget` and
 * `stop()` (`host`, `port` and `caCertificate` when it has them).
 */
export interface EmulatorEntry {
  moduleUrl: string;
  exportName: string;
}

export interface EmulatorStartOptions {
  host?: string;
  port?: number;
  /** Real milliseconds between streamed events (0: as fast as possible). */
  pacingMs?: number;
}

/** What an adapter needs to reach a running emulator, wherever it runs. */
export interface EmulatorEndpoint {
  url: string;
  host: string;
  port: number;
  /** The emulator's TLS CA (PEM), for an HTTPS emulator. */
  caCertificate?: string;
  demoTarget: unknown;
}

interface RunningEmulator {
  url: string;
  host?: string;
  port?: number;
  caCertificate?: string;
  demoTarget: unknown;
  stop(): Promise<void>;
}

type StartFunction = (options: EmulatorStartOptions) => Promise<RunningEmulator>;

/** Internal to provider-kit (the emulator thread uses it too). */
export function endpointOf(emulator: RunningEmulator): EmulatorEndpoint {
  const parsed = new URL(emulator.url);
  return {
    url: emulator.url,
    host: emulator.host ?? parsed.hostname,
    port: emulator.port ?? Number(parsed.port),
    ...(emulator.caCertificate ? { caCertificate: emulator.caCertificate } : {}),
    demoTarget: emulator.demoTarget,
  };
}

/** Internal to provider-kit (the emulator thread uses it too). */
export async function startInProcess(entry: EmulatorEntry, options: EmulatorStartOptions): Promise<RunningEmulator> {
  const module = (await import(entry.moduleUrl)) as Record<string, StartFunction>;
  const start = module[entry.exportName];
  if (typeof start !== 'function') throw new Error(`${entry.moduleUrl} exports no emulator start function ${entry.exportName}`);
  return start(options);
}

/** Messages of the emulator thread (see emulator-thread.ts). */
export type EmulatorThreadMessage = { kind: 'started'; endpoint: EmulatorEndpoint } | { kind: 'failed'; message: string };

async function startOnThread(entry: EmulatorEntry, options: EmulatorStartOptions, log: AdapterLog): Promise<{ endpoint: EmulatorEndpoint; stop: () => Promise<void> }> {
  const worker = new Worker(new URL('./emulator-thread.js', import.meta.url), { workerData: { entry, options } });
  const endpoint = await new Promise<EmulatorEndpoint>((resolve, reject) => {
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`the emulator thread exited (${code}) before it listened`)));
    worker.once('message', (message: EmulatorThreadMessage) => {
      if (message.kind === 'started') resolve(message.endpoint);
      else reject(new Error(message.message));
    });
  });
  worker.removeAllListeners('exit');
  worker.removeAllListeners('error');
  // A broken emulator thread must not take the broker down: its runtime's calls then fail as unavailable.
  let stopping = false;
  const exited = new Promise<void>((resolve) =>
    worker.once('exit', (code) => {
      if (!stopping) log.warn({ code, url: endpoint.url }, 'the emulator thread exited; its runtime is unavailable');
      resolve();
    }),
  );
  worker.on('error', (error) => log.warn({ err: error, url: endpoint.url }, 'the emulator thread failed'));
  return {
    endpoint,
    stop: async () => {
      stopping = true;
      worker.postMessage('stop');
      // An emulator that does not stop in time is terminated with its thread.
      const timer = setTimeout(() => void worker.terminate(), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/**
 * Starts a provider's emulator on its own (`npm run emulator -- <id>`), in
 * this process.
 */
export async function startStandaloneEmulator(entry: EmulatorEntry, options: EmulatorStartOptions): Promise<StandaloneEmulator> {
  return startInProcess(entry, options);
}

/**
 * An emulated runtime: starts the provider's emulator where the
 * configured placement says, logs one line saying the runtime is emulated and where, and builds
 * the adapter against it. The in-process emulator's handle is kept for
 * tests; a threaded one is reached only over the network, like a provider.
 */
export async function startEmulatedRuntime(spec: {
  /** The product's name, for the log line ("Claude Managed Agents"). */
  label: string;
  /** Why it is emulated ("no ANTHROPIC_API_KEY"). */
  because: string;
  emulator: EmulatorEntry;
  /** Where the emulator runs and how fast it streams (`config.runtimes`). */
  emulators: { emulatorPlacement: EmulatorPlacement; emulatorPacingMs: number };
  log: AdapterLog;
  adapter(endpoint: EmulatorEndpoint): { adapter: RuntimeAdapter; close?: () => Promise<void> | void };
}): Promise<StartedRuntime> {
  const placement = spec.emulators.emulatorPlacement;
  const options: EmulatorStartOptions = { pacingMs: spec.emulators.emulatorPacingMs };
  let endpoint: EmulatorEndpoint;
  let handle: RunningEmulator | undefined;
  let stopEmulator: () => Promise<void>;
  if (placement === 'thread') {
    const threaded = await startOnThread(spec.emulator, options, spec.log);
    endpoint = threaded.endpoint;
    stopEmulator = threaded.stop;
  } else {
    handle = await startInProcess(spec.emulator, options);
    endpoint = endpointOf(handle);
    stopEmulator = () => handle!.stop();
  }
  // (The broker's runtime log already names the provider.)
  spec.log.warn({ url: endpoint.url, placement }, `${spec.label} is emulated at ${endpoint.url} (${spec.because})`);
  const { adapter, close } = spec.adapter(endpoint);
  return {
    adapter,
    close: async () => {
      await close?.();
      await stopEmulator();
    },
    ...(handle ? { emulator: handle } : {}),
    demoTarget: endpoint.demoTarget,
  };
}
