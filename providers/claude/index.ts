/** Claude Managed Agents: the runtime module, its adapter and its local emulator. */
export { claudeRuntime } from './claude-runtime.js';
export { ClaudeAdapter } from './claude-adapter.js';
export type { ClaudeAdapterOptions } from './claude-adapter.js';
export { claudeTargetSchema } from './claude-target.js';
export type { ClaudeTarget } from './claude-target.js';
export { startClaudeEmulator } from './emulator/index.js';
export type { ClaudeEmulator, ClaudeEmulatorOptions } from './emulator/index.js';
