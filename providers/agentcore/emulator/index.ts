export { startAgentCoreEmulator } from './agentcore-emulator.js';
export type { AgentCoreEmulator, AgentCoreEmulatorOptions } from './agentcore-emulator.js';
export type { EmulatedRuntime, RuntimeSpec } from './runtime-catalog.js';
