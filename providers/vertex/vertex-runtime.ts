import { resolveRuntimeMode, startEmulatedRuntime, type EmulatorEntry, type RuntimeModule } from '#libs/provider-kit';
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

/**
 * Google Vertex AI Agent Engine for the broker's registry: live with
 * Application Default Credentials (GOOGLE_APPLICATION_CREDENTIALS, or
 * SWITCHBOARD_VERTEX_MODE=live for workload identity / gcloud ADC), else
 * against the in-process gRPC emulator.
 */
export const vertexRuntime: RuntimeModule = {
  id: 'vertex',
  targetSchema: vertexTargetSchema,
  targetScopes: vertexTargetScopes,
  async start({ config, log }) {
    const settings = config.runtimes.vertex;
    const mode = resolveRuntimeMode(settings.mode, settings.hasCredentials, config.runtimes.emulators);
    const common = { callTimeoutMs: config.runtimes.callTimeoutMs, turnTimeoutMs: config.runtimes.turnTimeoutMs, log };
    if (mode === 'off') return undefined;
    const { VertexAdapter } = await loadAdapter();
    if (mode === 'live') {
      const adapter = new VertexAdapter({ ...common, endpoint: { kind: 'live' }, mode: 'live' });
      return { adapter, close: () => adapter.close() };
    }
    return startEmulatedRuntime({
      label: 'Vertex AI Agent Engine',
      because: 'no Google credentials',
      emulator,
      placement: config.runtimes.emulatorPlacement,
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
};
