export { startClaudeEmulator } from './claude-emulator.js';
export type { ClaudeEmulator, ClaudeEmulatorOptions } from './claude-emulator.js';
export { apiKeyFingerprint, managedAgentsBeta } from './claude-router.js';
