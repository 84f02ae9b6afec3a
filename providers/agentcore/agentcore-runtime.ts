import { resolveRuntimeMode, startEmulatedRuntime, type EmulatorEntry, type RuntimeModule } from '#libs/provider-kit';
import { agentCoreTargetSchema, agentCoreTargetScopes } from './agentcore-target.js';

// The adapter and emulator (and their SDKs) load only when this runtime starts:
// a broker that leaves a runtime off never pays its memory (the Vertex SDK
// alone is ~70 MiB of heap).
const loadAdapter = () => import('./agentcore-adapter.js');
const emulator: EmulatorEntry = { moduleUrl: new URL('./emulator/index.js', import.meta.url).href, exportName: 'startAgentCoreEmulator' };

/**
 * AWS Bedrock AgentCore Runtime for the broker's registry: live with the AWS
 * default credential chain (env keys, profile, web identity, instance role),
 * else against its emulator (in the broker or on a thread: SWITCHBOARD_EMULATOR_PLACEMENT).
 */
export const agentCoreRuntime: RuntimeModule = {
  id: 'agentcore',
  targetSchema: agentCoreTargetSchema,
  targetScopes: agentCoreTargetScopes,
  async start({ config, log }) {
    const settings = config.runtimes.agentcore;
    const mode = resolveRuntimeMode(settings.mode, settings.hasCredentials, config.runtimes.emulators);
    const common = { callTimeoutMs: config.runtimes.callTimeoutMs, log };
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
      placement: config.runtimes.emulatorPlacement,
      log,
      adapter: (endpoint) => {
        const adapter = new AgentCoreAdapter({ ...common, connection: { kind: 'emulator', endpoint: endpoint.url }, mode: 'emulated' });
        return { adapter, close: () => adapter.close() };
      },
    });
  },
  emulator,
};
