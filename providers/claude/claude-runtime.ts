import { resolveRuntimeMode, startEmulatedRuntime, type EmulatorEntry, type RuntimeModule } from '#libs/provider-kit';
import { claudeTargetSchema, claudeTargetScopes } from './claude-target.js';

// The adapter and emulator (and their SDKs) load only when this runtime starts:
// a broker that leaves a runtime off never pays its memory (the Vertex SDK
// alone is ~70 MiB of heap).
const loadAdapter = () => import('./claude-adapter.js');
const emulator: EmulatorEntry = { moduleUrl: new URL('./emulator/index.js', import.meta.url).href, exportName: 'startClaudeEmulator' };

/**
 * Claude Managed Agents for the broker's registry: live with ANTHROPIC_API_KEY
 * (and ANTHROPIC_BASE_URL if set), else against its emulator (in the broker or
 * on a thread: SWITCHBOARD_EMULATOR_PLACEMENT).
 */
export const claudeRuntime: RuntimeModule = {
  id: 'claude',
  targetSchema: claudeTargetSchema,
  targetScopes: claudeTargetScopes,
  async start({ config, log }) {
    const settings = config.runtimes.claude;
    const mode = resolveRuntimeMode(settings.mode, settings.apiKey !== undefined, config.runtimes.emulators);
    const common = { callTimeoutMs: config.runtimes.callTimeoutMs, log };
    if (mode === 'off') return undefined;
    const { ClaudeAdapter } = await loadAdapter();
    if (mode === 'live') {
      if (!settings.apiKey) throw new Error('SWITCHBOARD_CLAUDE_MODE=live needs ANTHROPIC_API_KEY');
      return {
        adapter: new ClaudeAdapter({ ...common, apiKey: settings.apiKey, baseUrl: settings.baseUrl, mode: 'live' }),
        close: async () => undefined,
      };
    }
    return startEmulatedRuntime({
      label: 'Claude Managed Agents',
      because: 'no ANTHROPIC_API_KEY',
      emulator,
      placement: config.runtimes.emulatorPlacement,
      log,
      adapter: (endpoint) => ({ adapter: new ClaudeAdapter({ ...common, apiKey: 'sk-ant-emulated', baseUrl: endpoint.url, mode: 'emulated' }) }),
    });
  },
  emulator,
};
