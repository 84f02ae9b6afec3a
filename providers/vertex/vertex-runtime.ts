import { z } from 'zod';
import { optionalText, runtimeMode } from '#libs/config';
import { defineRuntime, resolveRuntimeMode, startEmulatedRuntime, type EmulatorEntry } from '#libs/provider-kit';
import { vertexTargetSchema, vertexTargetScopes } from './vertex-target.js';

// The adapter and emulator (and their SDKs) load only when this runtime starts:
// a broker that leaves a runtime off never pays its memory (the Vertex SDK
// alone is ~70 MiB of heap).
const loadAdapter = () => import('./vertex-adapter.js');
const emulator: EmulatorEntry = { moduleUrl: new URL('./emulator/index.js', import.meta.url).href, exportName: 'startVertexEmulator' };

/**
 * The SDK's default deadline (30 s) compressed tenfold for the emulated
 * runtime, like the emulator's clock: a call that forgets its own `timeout`
 * fails within seconds in every emulated test instead of only on a real
 * 30-second turn. The adapter gives every call an explicit deadline, so
 * nothing else changes. Not a config key: it only exists for the emulator.
 */
export const emulatedSdkDefaultDeadlineMs = 3_000;

/** Where the vendor's default credential chain finds credentials: any one set means `auto` runs live. */
const credentialVariables = ['GOOGLE_APPLICATION_CREDENTIALS'] as const;

/** Vertex's slice of the environment. Live credentials come from Application Default Credentials. */
const vertexSettings = z
  .object({
    SWITCHBOARD_VERTEX_MODE: runtimeMode,
    GOOGLE_APPLICATION_CREDENTIALS: optionalText,
    GOOGLE_CLOUD_PROJECT: optionalText,
  })
  .transform((env) => ({
    mode: env.SWITCHBOARD_VERTEX_MODE,
    hasCredentials: credentialVariables.some((name) => env[name] !== undefined),
    project: env.GOOGLE_CLOUD_PROJECT,
  }));

/**
 * Google Vertex AI Agent Engine for the broker's registry: live with
 * Application Default Credentials (GOOGLE_APPLICATION_CREDENTIALS, or
 * SWITCHBOARD_VERTEX_MODE=live for workload identity / gcloud ADC), else
 * against the in-process gRPC emulator.
 */
export const vertexRuntime = defineRuntime({
  id: 'vertex',
  settings: vertexSettings,
  targetSchema: vertexTargetSchema,
  targetScopes: vertexTargetScopes,
  identityKind: 'google',
  liveCredentials: credentialVariables,
  vendor: { company: 'Google Cloud', serviceName: 'Vertex AI Agent Engine' },
  // The published list as of 2025-11-21: the price book's version 1 (migrations/1763700300000-Metering.ts) holds the same.
  listPrices: [
    { unit: 'vcpu-hour', unitPrice: '0.0864', source: 'https://cloud.google.com/vertex-ai/pricing#vertex-ai-agent-engine (Agent Engine, per vCPU-hour)', effectiveDate: '2025-11-21' },
    { unit: 'gib-hour', unitPrice: '0.009', source: 'https://cloud.google.com/vertex-ai/pricing#vertex-ai-agent-engine (Agent Engine, per GiB-hour)', effectiveDate: '2025-11-21' },
  ],
  async start({ settings, config, log }) {
    const mode = resolveRuntimeMode(settings.mode, settings.hasCredentials, config.runtimes.emulators);
    const common = { callTimeoutMs: config.runtimes.callTimeoutMs, turnTimeoutMs: config.runtimes.turnTimeoutMs, identities: config.identities, log };
    if (mode === 'off') return undefined;
    const { VertexAdapter } = await loadAdapter();
    if (mode === 'live') {
      const { applicationDefaultClient, impersonatedAuth } = await import('./vertex-credentials.js');
      // The broker's ADC impersonates configured identities; resolved here only when one is configured.
      const wantsImpersonation = [...config.identities.values()].some((identity) => identity.kind === 'google');
      const source = wantsImpersonation ? await applicationDefaultClient() : undefined;
      const adapter = new VertexAdapter({
        ...common,
        endpoint: { kind: 'live' },
        mode: 'live',
        ...(source ? { identityAuth: (identity) => impersonatedAuth(identity, source) } : {}),
      });
      return { adapter, close: () => adapter.close() };
    }
    return startEmulatedRuntime({
      label: 'Vertex AI Agent Engine',
      because: 'no Google credentials',
      emulator,
      emulators: config.runtimes,
      log,
      adapter: (endpoint) => {
        const adapter = new VertexAdapter({
          ...common,
          endpoint: { kind: 'emulator', host: endpoint.host, port: endpoint.port },
          mode: 'emulated',
          sdkDefaultDeadlineMs: emulatedSdkDefaultDeadlineMs,
        });
        return { adapter, close: () => adapter.close() };
      },
    });
  },
  emulator,
  conformance: async () => (await import('./conformance.fixture.js')).vertexFixture,
});
