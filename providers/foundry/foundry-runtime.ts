import type { TokenCredential } from '@azure/identity';
import { z } from 'zod';
import { optionalText, runtimeMode } from '#libs/config';
import { defineRuntime, resolveRuntimeMode, startEmulatedRuntime, type EmulatorEntry } from '#libs/provider-kit';
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

/** Where the vendor's default credential chain finds credentials: any one set means `auto` runs live. */
const credentialVariables = ['AZURE_CLIENT_ID', 'AZURE_TENANT_ID', 'AZURE_FEDERATED_TOKEN_FILE'] as const;

/** Foundry's slice of the environment. Live credentials come from DefaultAzureCredential; their presence is only sniffed here. */
const foundrySettings = z
  .object({
    SWITCHBOARD_FOUNDRY_MODE: runtimeMode,
    AZURE_CLIENT_ID: optionalText,
    AZURE_TENANT_ID: optionalText,
    AZURE_FEDERATED_TOKEN_FILE: optionalText,
  })
  .transform((env) => ({
    mode: env.SWITCHBOARD_FOUNDRY_MODE,
    hasCredentials: credentialVariables.some((name) => env[name] !== undefined),
    // Configured identities use the same federated token (README: Provider identities).
    workload: { federatedTokenFile: env.AZURE_FEDERATED_TOKEN_FILE, tenantId: env.AZURE_TENANT_ID },
  }));

/**
 * Microsoft Foundry hosted agents for the broker's registry: live with
 * `DefaultAzureCredential` (environment, workload identity, managed identity,
 * Azure CLI...), else against its emulator (SWITCHBOARD_EMULATOR_PLACEMENT) over
 * TLS it trusts alone.
 */
export const foundryRuntime = defineRuntime({
  id: 'foundry',
  settings: foundrySettings,
  targetSchema: foundryTargetSchema,
  targetScopes: foundryTargetScopes,
  identityKind: 'azure',
  liveCredentials: credentialVariables,
  vendor: { company: 'Microsoft', serviceName: 'Microsoft Foundry Agent Service' },
  // The published list as of 2025-11-21: the price book's version 1 (migrations/1763700300000-Metering.ts) holds the same.
  listPrices: [
    { unit: 'vcpu-hour', unitPrice: '0.0994', source: 'https://azure.microsoft.com/pricing/details/ai-foundry/ (hosted agents, preview, per vCPU-hour)', effectiveDate: '2025-11-21' },
    { unit: 'gib-hour', unitPrice: '0.0118', source: 'https://azure.microsoft.com/pricing/details/ai-foundry/ (hosted agents, preview, per GiB-hour)', effectiveDate: '2025-11-21' },
  ],
  async start({ settings, config, log }) {
    const mode = resolveRuntimeMode(settings.mode, settings.hasCredentials, config.runtimes.emulators);
    const common = { callTimeoutMs: config.runtimes.callTimeoutMs, identities: config.identities, log };
    if (mode === 'off') return undefined;
    const { FoundryAdapter } = await loadAdapter();
    if (mode === 'live') {
      const { DefaultAzureCredential } = await import('@azure/identity');
      const { azureIdentityCredential } = await import('./foundry-credentials.js');
      const adapter = new FoundryAdapter({
        ...common,
        mode: 'live',
        credential: new DefaultAzureCredential(),
        identityCredential: (identity) => azureIdentityCredential(identity, settings.workload),
      });
      return { adapter, close: async () => adapter.close() };
    }
    return startEmulatedRuntime({
      label: 'Microsoft Foundry',
      because: 'no Azure credentials',
      emulator,
      emulators: config.runtimes,
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
  conformance: async () => (await import('./conformance.fixture.js')).foundryFixture,
});
