/** Microsoft Foundry hosted agents: the runtime module, its adapter and its local emulator. */
export { foundryRuntime } from './foundry-runtime.js';
export { FoundryAdapter } from './foundry-adapter.js';
export type { FoundryAdapterOptions } from './foundry-adapter.js';
export { foundryTargetSchema } from './foundry-target.js';
export type { FoundryTarget } from './foundry-target.js';
export { FoundryClients } from './foundry-clients.js';
export { startFoundryEmulator, demoProjectEndpoint } from './emulator/index.js';
export type { FoundryEmulator, FoundryEmulatorOptions } from './emulator/index.js';
