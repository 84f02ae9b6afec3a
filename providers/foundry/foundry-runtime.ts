import type { TokenCredential } from '@azure/identity';
import { resolveRuntimeMode, startEmulatedRuntime, type EmulatorEntry, type RuntimeModule } from '#libs/provider-kit';
import { foundryTargetSchema, foundryTargetScopes } from './foundry-target.js';

// The adapter and emulator (and their SDKs) load only when this runtime starts:
// a broker that leaves a runtime off never pays its memory (the Vertex SDK
// alone is ~70 MiB of heap).
const loadAdapter = () => import('./foundry-adapter.js');
const emulator: EmulatorEntry = { moduleUrl: new URL('./emulator/index.js', import.meta.url).href, exportName: 'startFoundryEmulator' };

/** The emulator accepts any bearer token; this one never expires in practice. */
const emulatorCredential: TokenCredential = {
  getToken: async () => ({ token: 'switchboard-emulated', expiresOnTimestamp: Date.now() + 3600_000 }),
};

/**
 * Microsoft Foundry hosted agents for the broker's registry: live with
 * `DefaultAzureCredential` (environment, workload identity, managed identity,
 * Azure CLI...), else against its emulator (SWITCHBOARD_EMULATOR_PLACEMENT) over
 * TLS it trusts alone.
 */
export const foundryRuntime: RuntimeModule = {
  id: 'foundry',
  targetSchema: foundryTargetSchema,
  targetScopes: foundryTargetScopes,
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
    return startEmulatedRuntime({
      label: 'Microsoft Foundry',
      because: 'no Azure credentials',
      emulator,
      placement: config.runtimes.emulatorPlacement,
      log,
      adapter: (endpoint) => {
        if (!endpoint.caCertificate) throw new Error('the Foundry emulator did not report its TLS CA');
        const adapter = new FoundryAdapter({
          ...common,
          mode: 'emulated',
          credential: emulatorCredential,
          emulator: { url: endpoint.url, caCertificate: endpoint.caCertificate },
        });
        return { adapter, close: () => adapter.close() };
      },
    });
  },
  emulator,
};
