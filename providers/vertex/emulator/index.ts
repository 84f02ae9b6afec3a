export { startVertexEmulator, demoEngine } from './vertex-emulator.js';
export type { VertexEmulator, VertexEmulatorOptions } from './vertex-emulator.js';
export type { EngineSpec } from './session-store.js';
