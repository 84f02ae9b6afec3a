import { parentPort, workerData } from 'node:worker_threads';
import { endpointOf, startInProcess, type EmulatorEntry, type EmulatorStartOptions, type EmulatorThreadMessage } from './emulated-runtime.js';

/**
 * The body of an emulator's worker thread (placement `thread`): starts the
 * emulator, reports its endpoint, and stops it when the broker says `stop`.
 */
const { entry, options } = workerData as { entry: EmulatorEntry; options: EmulatorStartOptions };
const port = parentPort!;
const send = (message: EmulatorThreadMessage) => port.postMessage(message);

try {
  const emulator = await startInProcess(entry, options);
  port.on('message', (message) => {
    if (message !== 'stop') return;
    // With the emulator's server and this port closed, the thread exits: the broker waits for that.
    void emulator.stop().finally(() => port.close());
  });
  send({ kind: 'started', endpoint: endpointOf(emulator) });
} catch (error) {
  send({ kind: 'failed', message: error instanceof Error ? error.message : String(error) });
  port.close();
}
