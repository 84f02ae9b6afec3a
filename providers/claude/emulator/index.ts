export { startClaudeEmulator } from './claude-emulator.js';
export type { ClaudeEmulator, ClaudeEmulatorOptions } from './claude-emulator.js';
export { managedAgentsBeta } from './claude-router.js';
