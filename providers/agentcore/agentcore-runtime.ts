import { z } from 'zod';
import { optionalText, runtimeMode } from '#libs/config';
import { defineRuntime, resolveRuntimeMode, startEmulatedRuntime, type EmulatorEntry } from '#libs/provider-kit';
import { agentCoreTargetSchema, agentCoreTargetScopes } from './agentcore-target.js';

// The adapter and emulator (and their SDKs) load only when this runtime starts:
// a broker that leaves a runtime off never pays its memory (the Vertex SDK
// alone is ~70 MiB of heap).
const loadAdapter = () => import('./agentcore-adapter.js');
const emulator: EmulatorEntry = { moduleUrl: new URL('./emulator/index.js', import.meta.url).href, exportName: 'startAgentCoreEmulator' };

/** Where the vendor's default credential chain finds credentials: any one set means `auto` runs live. */
const credentialVariables = ['AWS_ACCESS_KEY_ID', 'AWS_PROFILE', 'AWS_WEB_IDENTITY_TOKEN_FILE'] as const;

/**
 * AgentCore's slice of the environment. Live credentials come from the AWS
 * default provider chain; their presence is only sniffed here.
 */
const agentCoreSettings = z
  .object({
    SWITCHBOARD_AGENTCORE_MODE: runtimeMode,
    AWS_REGION: z.string().trim().min(1).default('us-east-1'),
    AWS_ACCESS_KEY_ID: optionalText,
    AWS_PROFILE: optionalText,
    AWS_WEB_IDENTITY_TOKEN_FILE: optionalText,
  })
  .transform((env) => ({
    mode: env.SWITCHBOARD_AGENTCORE_MODE,
    region: env.AWS_REGION,
    hasCredentials: credentialVariables.some((name) => env[name] !== undefined),
  }));

/**
 * AWS Bedrock AgentCore Runtime for the broker's registry: live with the AWS
 * default credential chain (env keys, profile, web identity, instance role),
 * else against its emulator (in the broker or on a thread: SWITCHBOARD_EMULATOR_PLACEMENT).
 */
export const agentCoreRuntime = defineRuntime({
  id: 'agentcore',
  settings: agentCoreSettings,
  targetSchema: agentCoreTargetSchema,
  targetScopes: agentCoreTargetScopes,
  identityKind: 'aws',
  liveCredentials: credentialVariables,
  vendor: { company: 'Amazon Web Services', serviceName: 'Amazon Bedrock AgentCore' },
  // The published list as of 2025-11-21: the price book's version 1 (migrations/1763700300000-Metering.ts) holds the same.
  listPrices: [
    { unit: 'vcpu-hour', unitPrice: '0.0895', source: 'https://aws.amazon.com/bedrock/agentcore/pricing/ (Runtime CPU, per vCPU-hour, per second of active use)', effectiveDate: '2025-11-21' },
    { unit: 'gib-hour', unitPrice: '0.00945', source: 'https://aws.amazon.com/bedrock/agentcore/pricing/ (Runtime memory, per GB-hour)', effectiveDate: '2025-11-21' },
  ],
  async start({ settings, config, log }) {
    const mode = resolveRuntimeMode(settings.mode, settings.hasCredentials, config.runtimes.emulators);
    const common = { callTimeoutMs: config.runtimes.callTimeoutMs, identities: config.identities, log };
    if (mode === 'off') return undefined;
    const { AgentCoreAdapter } = await loadAdapter();
    if (mode === 'live') {
      // Credentials resolve lazily on the first call, so a live broker starts even before the role is assumable.
      const adapter = new AgentCoreAdapter({ ...common, connection: { kind: 'aws' }, mode: 'live' });
      return { adapter, close: async () => adapter.close() };
    }
    return startEmulatedRuntime({
      label: 'AWS Bedrock AgentCore',
      because: 'no AWS credentials',
      emulator,
      emulators: config.runtimes,
      log,
      adapter: (endpoint) => {
        const adapter = new AgentCoreAdapter({ ...common, connection: { kind: 'emulator', endpoint: endpoint.url }, mode: 'emulated' });
        return { adapter, close: () => adapter.close() };
      },
    });
  },
  emulator,
  conformance: async () => (await import('./conformance.fixture.js')).agentCoreFixture,
});
