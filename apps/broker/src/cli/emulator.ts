import { startStandaloneEmulator } from '#libs/provider-kit';
import { runtimeModules } from '../runtimes/runtime-modules.js';

/**
 * `npm run emulator -- <provider> [port]`: runs one provider's emulator on
 * its own, on loopback, until Ctrl-C. Point the provider's SDK (or a broker
 * in live mode) at the printed URL.
 */
const [providerId, portText] = process.argv.slice(2);
const module = runtimeModules.find((candidate) => candidate.id === providerId);
if (!module) {
  console.error(`usage: npm run emulator -- <${runtimeModules.map((candidate) => candidate.id).join('|')}> [port]`);
  process.exit(2);
}
// Paced like a live agent (40 ms between streamed events), for people watching it; EMULATOR_PACING_MS changes it (0 for benches).
const pacingMs = Number(process.env.EMULATOR_PACING_MS ?? 40);
if (!Number.isInteger(pacingMs) || pacingMs < 0) {
  console.error(`EMULATOR_PACING_MS must be a whole number of milliseconds, not ${process.env.EMULATOR_PACING_MS}`);
  process.exit(2);
}
const emulator = await startStandaloneEmulator(module.emulator, { port: portText ? Number(portText) : 0, pacingMs });
console.log(`${module.id} emulator listening on ${emulator.url}`);
console.log(`a target that works against it: ${JSON.stringify(emulator.demoTarget)}`);
const stop = () => {
  void emulator.stop().then(() => process.exit(0));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
