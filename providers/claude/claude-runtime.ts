import { z } from 'zod';
import { optionalText, providerBaseUrl, runtimeMode } from '#libs/config';
import { defineRuntime, resolveRuntimeMode, startEmulatedRuntime, type EmulatorEntry } from '#libs/provider-kit';
import { claudeTargetSchema, claudeTargetScopes } from './claude-target.js';

// The adapter and emulator (and their SDKs) load only when this runtime starts:
// a broker that leaves a runtime off never pays its memory (the Vertex SDK
// alone is ~70 MiB of heap).
const loadAdapter = () => import('./claude-adapter.js');
const emulator: EmulatorEntry = { moduleUrl: new URL('./emulator/index.js', import.meta.url).href, exportName: 'startClaudeEmulator' };

/** Claude's slice of the environment (README: Configuration). */
const claudeSettings = z
  .object({
    SWITCHBOARD_CLAUDE_MODE: runtimeMode,
    ANTHROPIC_API_KEY: optionalText,
    ANTHROPIC_BASE_URL: optionalText.pipe(providerBaseUrl.optional()),
  })
  .transform((env) => ({ mode: env.SWITCHBOARD_CLAUDE_MODE, apiKey: env.ANTHROPIC_API_KEY, baseUrl: env.ANTHROPIC_BASE_URL }));

/**
 * Claude Managed Agents for the broker's registry: live with ANTHROPIC_API_KEY
 * (and ANTHROPIC_BASE_URL if set), else against its emulator (in the broker or
 * on a thread: SWITCHBOARD_EMULATOR_PLACEMENT).
 */
export const claudeRuntime = defineRuntime({
  id: 'claude',
  settings: claudeSettings,
  targetSchema: claudeTargetSchema,
  targetScopes: claudeTargetScopes,
  identityKind: 'anthropic',
  liveCredentials: ['ANTHROPIC_API_KEY'],
  vendor: { company: 'Anthropic', serviceName: 'Claude Managed Agents' },
  // The published list as of 2025-11-21: the price book's version 1 (migrations/1763700300000-Metering.ts) holds the same.
  listPrices: [
    { unit: 'session-hour', unitPrice: '0.08', source: 'https://www.anthropic.com/pricing (Claude Managed Agents, per session-hour of running time)', effectiveDate: '2025-11-21' },
    { unit: 'input-mtok', unitPrice: '3', source: 'https://www.anthropic.com/pricing (Claude Sonnet 4.5 input, per million tokens)', effectiveDate: '2025-11-21' },
    { unit: 'output-mtok', unitPrice: '15', source: 'https://www.anthropic.com/pricing (Claude Sonnet 4.5 output, per million tokens)', effectiveDate: '2025-11-21' },
    // Prompt caching (migration PromptCachePrices): 0.1×, 1.25× and 2× the input price.
    { unit: 'cache-read-mtok', unitPrice: '0.3', source: 'https://platform.claude.com/docs/en/about-claude/pricing (prompt caching: cache hits and refreshes, 0.1 × base input; Claude Sonnet 4.5 $0.30 per million tokens)', effectiveDate: '2026-12-03' },
    { unit: 'cache-write-5m-mtok', unitPrice: '3.75', source: 'https://platform.claude.com/docs/en/about-claude/pricing (prompt caching: 5-minute cache writes, 1.25 × base input; Claude Sonnet 4.5 $3.75 per million tokens)', effectiveDate: '2026-12-03' },
    { unit: 'cache-write-1h-mtok', unitPrice: '6', source: 'https://platform.claude.com/docs/en/about-claude/pricing (prompt caching: 1-hour cache writes, 2 × base input; Claude Sonnet 4.5 $6 per million tokens)', effectiveDate: '2026-12-03' },
  ],
  async start({ settings, config, log }) {
    const mode = resolveRuntimeMode(settings.mode, settings.apiKey !== undefined, config.runtimes.emulators);
    const common = { callTimeoutMs: config.runtimes.callTimeoutMs, identities: config.identities, log };
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
      emulators: config.runtimes,
      log,
      adapter: (endpoint) => ({ adapter: new ClaudeAdapter({ ...common, apiKey: 'sk-ant-emulated', baseUrl: endpoint.url, mode: 'emulated' }) }),
    });
  },
  emulator,
  conformance: async () => (await import('./conformance.fixture.js')).claudeFixture,
});
