import { createServer } from 'node:http';
import { closeServer, countConnections, EmulatorClock, EmulatorStats, FaultPlan, listenOn, silentLogger, type EmulatorLogger } from '#libs/emulator-kit';
import { createRouter } from './claude-router.js';
import { eventRoutes } from './event-routes.js';
import type { EmulatorServices } from './route-table.js';
import { SessionLifecycle } from './session-lifecycle.js';
import { sessionRoutes } from './session-routes.js';
import { SessionStore } from './session-store.js';
import { SetupRegistry } from './setup-registry.js';
import { setupRoutes } from './setup-routes.js';
import { TurnRunner } from './turn-runner.js';

export interface ClaudeEmulatorOptions {
  /** Defaults to 127.0.0.1: the emulator accepts any key, so it must not face a network. */
  host?: string;
  /** Defaults to 0, any free port. */
  port?: number;
  /** Share one clock between emulators so a test advances them together. */
  clock?: EmulatorClock;
  logger?: EmulatorLogger;
  /** Real milliseconds between streamed events, to make offline demos read like a live agent. Defaults to 0. */
  pacingMs?: number;
}

/** A running emulator of Claude Managed Agents (`client.beta.sessions.*` of `@anthropic-ai/sdk` 1.11). */
export interface ClaudeEmulator {
  /** The `baseURL` to hand the SDK. */
  readonly url: string;
  readonly clock: EmulatorClock;
  /**
   * Fault ops, one per HTTP call: `environments.create|retrieve`, `agents.create|retrieve`,
   * `sessions.create|list|retrieve|update|archive|delete`, `events.send|list|stream`;
   * plus `turns.run` for the agent itself (see TurnRunner).
   */
  readonly faults: FaultPlan;
  /** Counts every HTTP op received and `turns.run`, turns the agent actually started. */
  readonly stats: EmulatorStats;
  /** An environment and an agent created at start, so a broker can bind sessions with no setup calls. */
  readonly demoTarget: { agentId: string; environmentId: string };
  /** The provider loses the session: open streams end with no final event, later calls get 404. */
  expireSession(sessionId: string): void;
  /** The session dies: `session.error` (terminal) and `session.status_terminated`; later sends get 409. */
  terminateSession(sessionId: string, message?: string): void;
  stop(): Promise<void>;
}

export async function startClaudeEmulator(options: ClaudeEmulatorOptions = {}): Promise<ClaudeEmulator> {
  const host = options.host ?? '127.0.0.1';
  const clock = options.clock ?? new EmulatorClock();
  const logger = options.logger ?? silentLogger;
  const faults = new FaultPlan();
  const stats = new EmulatorStats();
  const store = new SessionStore(clock);
  const runner = new TurnRunner({ store, clock, faults, stats, logger, pacingMs: options.pacingMs ?? 0 });
  const lifecycle = new SessionLifecycle(store, runner, clock);
  const services: EmulatorServices = { clock, stats, logger, store, runner, lifecycle, setup: new SetupRegistry(clock) };
  // Fixed ids: an agent stored against the emulator keeps working after a restart.
  const demoEnvironment = services.setup.createEnvironment({ name: 'switchboard-demo' }, 'env_011CSwitchboardDemoEnvironment');
  const demoAgent = services.setup.createAgent(
    { name: 'switchboard-demo', model: 'claude-sonnet-4-6', system: 'The deterministic emulator agent: it echoes, remembers, and calls a tool when asked.' },
    'agent_011CSwitchboardDemoAgent',
  );
  const routes = [...setupRoutes(services), ...sessionRoutes(services), ...eventRoutes(services)];

  const server = createServer(createRouter({ routes, clock, faults, stats, logger }));
  countConnections(server, stats);
  const port = await listenOn(server, options.port ?? 0, host);
  const url = `http://${host}:${port}`;
  logger.info({ url }, 'Claude Managed Agents emulator listening');

  return {
    url,
    clock,
    faults,
    stats,
    demoTarget: { agentId: demoAgent.id, environmentId: demoEnvironment.id },
    expireSession: (sessionId) => lifecycle.expire(store.find(sessionId)),
    terminateSession: (sessionId, message = 'the session was terminated by the provider') => lifecycle.terminate(store.find(sessionId), message),
    stop: async () => {
      runner.haltAll();
      await closeServer(server);
      logger.info({ url }, 'Claude Managed Agents emulator stopped');
    },
  };
}
