import { resolveRuntimeMode, type RuntimeModule } from '#libs/provider-kit';
import { ClaudeAdapter } from './claude-adapter.js';
import { claudeTargetSchema } from './claude-target.js';
import { startClaudeEmulator } from './emulator/index.js';

/**
 * Claude Managed Agents for the broker's registry: live with ANTHROPIC_API_KEY
 * (and ANTHROPIC_BASE_URL if set), else against the in-process emulator.
 */
export const claudeRuntime: RuntimeModule = {
  id: 'claude',
  targetSchema: claudeTargetSchema,
  async start({ config, log }) {
    const settings = config.runtimes.claude;
    const mode = resolveRuntimeMode(settings.mode, settings.apiKey !== undefined, config.runtimes.emulators);
    const common = { callTimeoutMs: config.runtimes.callTimeoutMs, log };
    if (mode === 'off') return undefined;
    if (mode === 'live') {
      if (!settings.apiKey) throw new Error('SWITCHBOARD_CLAUDE_MODE=live needs ANTHROPIC_API_KEY');
      return {
        adapter: new ClaudeAdapter({ ...common, apiKey: settings.apiKey, baseUrl: settings.baseUrl, mode: 'live' }),
        close: async () => undefined,
      };
    }
    const emulator = await startClaudeEmulator({ pacingMs: 0 });
    log.warn({ provider: 'claude', url: emulator.url }, `Claude Managed Agents is emulated at ${emulator.url} (no ANTHROPIC_API_KEY)`);
    return {
      adapter: new ClaudeAdapter({ ...common, apiKey: 'sk-ant-emulated', baseUrl: emulator.url, mode: 'emulated' }),
      close: () => emulator.stop(),
      emulator,
      demoTarget: emulator.demoTarget,
    };
  },
  startEmulator: (options) => startClaudeEmulator({ ...options, pacingMs: 40 }),
};
