/** AWS Bedrock AgentCore Runtime: the runtime module, its adapter and its local emulator. */
export { agentCoreRuntime } from './agentcore-runtime.js';
export { AgentCoreAdapter } from './agentcore-adapter.js';
export type { AgentCoreAdapterOptions } from './agentcore-adapter.js';
export { agentCoreTargetSchema } from './agentcore-target.js';
export type { AgentCoreTarget } from './agentcore-target.js';
export { startAgentCoreEmulator } from './emulator/index.js';
export type { AgentCoreEmulator, AgentCoreEmulatorOptions, EmulatedRuntime, RuntimeSpec } from './emulator/index.js';
