import type { TokenCredential } from '@azure/identity';
import { resolveRuntimeMode, type RuntimeModule } from '#libs/provider-kit';
import { foundryTargetSchema } from './foundry-target.js';

// The adapter and emulator (and their SDKs) load only when this runtime starts:
// a broker that leaves a runtime off never pays its memory (the Vertex SDK
// alone is ~70 MiB of heap).
const loadAdapter = () => import('./foundry-adapter.js');
const loadEmulator = () => import('./emulator/index.js');

/** The emulator accepts any bearer token; this one never expires in practice. */
const emulatorCredential: TokenCredential = {
  getToken: async () => ({ token: 'switchboard-emulated', expiresOnTimestamp: Date.now() + 3600_000 }),
};

/**
 * Microsoft Foundry hosted agents for the broker's registry: live with
 * `DefaultAzureCredential` (environment, workload identity, managed identity,
 * Azure CLI...), else against the in-process emulator over TLS it trusts alone.
 */
export const foundryRuntime: RuntimeModule = {
  id: 'foundry',
  targetSchema: foundryTargetSchema,
  async start({ config, log }) {
    const settings = config.runtimes.foundry;
    const mode = resolveRuntimeMode(settings.mode, settings.hasCredentials, config.runtimes.emulators);
    const common = { callTimeoutMs: config.runtimes.callTimeoutMs, log };
    if (mode === 'off') return undefined;
    const { FoundryAdapter } = await loadAdapter();
    if (mode === 'live') {
      const { DefaultAzureCredential } = await import('@azure/identity');
      const adapter = new FoundryAdapter({ ...common, mode: 'live', credential: new DefaultAzureCredential() });
      return { adapter, close: async () => adapter.close() };
    }
    const emulator = await (await loadEmulator()).startFoundryEmulator({ pacingMs: 0 });
    log.warn({ provider: 'foundry', url: emulator.url }, `Microsoft Foundry is emulated at ${emulator.url} (no Azure credentials)`);
    const adapter = new FoundryAdapter({
      ...common,
      mode: 'emulated',
      credential: emulatorCredential,
      emulator: { url: emulator.url, caCertificate: emulator.caCertificate },
    });
    return {
      adapter,
      close: async () => {
        adapter.close();
        await emulator.stop();
      },
      emulator,
      demoTarget: emulator.demoTarget,
    };
  },
  startEmulator: async (options) => (await loadEmulator()).startFoundryEmulator({ ...options, pacingMs: 40 }),
};
