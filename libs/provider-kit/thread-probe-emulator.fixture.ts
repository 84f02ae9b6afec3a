import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isMainThread, threadId } from 'node:worker_threads';

/**
 * A stand-in emulator for the placement tests: it answers every request with
 * the thread it runs on and the options it was started with.
 */
export async function startThreadProbeEmulator(options: { pacingMs?: number }) {
  const server = createServer((_request, response) => {
    response.setHeader('content-type', 'application/json');
    response.end(JSON.stringify({ isMainThread, threadId, options }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    demoTarget: { probe: true },
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** An emulator whose start fails, as one that cannot bind its port would. */
export async function startFailingEmulator(): Promise<never> {
  throw new Error('no port for the probe');
}

/** An emulator whose thread ends soon after it started, as a crashed one would. */
export async function startShortLivedEmulator(options: { pacingMs?: number }) {
  const emulator = await startThreadProbeEmulator(options);
  // In a worker thread, process.exit ends that thread only.
  setTimeout(() => process.exit(3), 50);
  return emulator;
}
