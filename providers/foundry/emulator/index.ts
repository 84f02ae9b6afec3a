export { startFoundryEmulator, demoProjectEndpoint } from './foundry-emulator.js';
export type { FoundryEmulator, FoundryEmulatorOptions } from './foundry-emulator.js';
