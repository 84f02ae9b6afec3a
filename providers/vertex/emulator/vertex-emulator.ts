import { Server, ServerCredentials } from '@grpc/grpc-js';
import { EmulatorClock, EmulatorStats, FaultPlan, silentLogger, type EmulatorLogger } from '#libs/emulator-kit';
import type { VertexTarget } from '../vertex-target.js';
import { engineService } from './engine-service.js';
import { executionService } from './execution-service.js';
import { OperationStore } from './operation-store.js';
import { apiVersions, serviceDefinition } from './proto-definitions.js';
import { sessionService } from './session-service.js';
import { SessionStore, type EngineSpec, type StoredSession } from './session-store.js';
import { unary } from './unary-calls.js';
import { nameRequest } from './wire-schemas.js';

export interface VertexEmulatorOptions {
  /** Defaults to 127.0.0.1: the emulator accepts any caller, so it must not face a network. */
  host?: string;
  /** Defaults to 0, any free port. */
  port?: number;
  /** Share one clock between emulators so a test advances them together. */
  clock?: EmulatorClock;
  logger?: EmulatorLogger;
  /** Real milliseconds between streamed messages, to make offline demos read like a live agent. Defaults to 0. */
  pacingMs?: number;
}

/** A running emulator of Vertex AI Agent Engine sessions and stream queries (gRPC, plaintext). */
export interface VertexEmulator {
  /** `grpc://host:port`, for display; the SDK takes {@link host} and {@link port}. */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly clock: EmulatorClock;
  /**
   * Fault ops, one per RPC: `sessions.create|get|list|delete|listEvents|appendEvent`,
   * `operations.get`, `engines.get`, `engine.streamQuery` (status, delay, stall; truncate = an
   * error status mid-stream), `engine.streamQuery.reset` (truncate = RST_STREAM)
   * and `engine.streamQuery.cleanEnd` (truncate = OK end without the final event).
   */
  readonly faults: FaultPlan;
  /** Counts every RPC by its fault op, and `turns.run`: turns the agent actually started. */
  readonly stats: EmulatorStats;
  /** A deployed engine that exists from the start, with a fixed name, so agents stored against it survive restarts. */
  readonly demoTarget: VertexTarget;
  /** Serves another engine (tests of targets other than the demo one). */
  registerEngine(engine: EngineSpec): void;
  /** The session as stored, or undefined once deleted or expired (test hook). */
  findSession(name: string): Readonly<StoredSession> | undefined;
  /** The session's TTL runs out now: later calls get NOT_FOUND. */
  expireSession(name: string): void;
  stop(): Promise<void>;
}

/** The demo engine: a fixed resource name, and the class methods an ADK AdkApp registers. */
export const demoEngine: EngineSpec = {
  name: 'projects/switchboard-demo/locations/us-central1/reasoningEngines/4242424242424242424',
  classMethods: ['get_session', 'list_sessions', 'create_session', 'delete_session', 'async_get_session', 'async_list_sessions', 'async_create_session', 'async_delete_session', 'stream_query', 'async_stream_query', 'streaming_agent_run_with_events'],
};

export async function startVertexEmulator(options: VertexEmulatorOptions = {}): Promise<VertexEmulator> {
  const host = options.host ?? '127.0.0.1';
  const clock = options.clock ?? new EmulatorClock();
  const logger = options.logger ?? silentLogger;
  const faults = new FaultPlan();
  const stats = new EmulatorStats();
  const store = new SessionStore(clock);
  const operations = new OperationStore();
  store.registerEngine(demoEngine);
  const context = { faults, stats, logger };

  const server = new Server();
  for (const version of apiVersions) {
    server.addService(serviceDefinition(`google.cloud.aiplatform.${version}.SessionService`), sessionService(version, { ...context, store, operations }));
    server.addService(
      serviceDefinition(`google.cloud.aiplatform.${version}.ReasoningEngineExecutionService`),
      executionService({ ...context, store, clock, pacingMs: options.pacingMs ?? 0 }),
    );
    server.addService(serviceDefinition(`google.cloud.aiplatform.${version}.ReasoningEngineService`), engineService({ ...context, store }));
  }
  server.addService(serviceDefinition('google.longrunning.Operations'), {
    GetOperation: unary(context, 'operations.get', (raw) => operations.poll(nameRequest.parse(raw).name)),
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`${host}:${options.port ?? 0}`, ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
  );
  const url = `grpc://${host}:${port}`;
  logger.info({ url }, 'Vertex AI Agent Engine emulator listening');

  return {
    url,
    host,
    port,
    clock,
    faults,
    stats,
    demoTarget: { reasoningEngine: demoEngine.name },
    registerEngine: (engine) => store.registerEngine(engine),
    findSession: (name) => store.find(name),
    expireSession: (name) => store.expire(name),
    stop: async () => {
      // Streams held open by a stall fault would keep a graceful shutdown waiting forever.
      server.forceShutdown();
      logger.info({ url }, 'Vertex AI Agent Engine emulator stopped');
    },
  };
}
