import { createServer } from 'node:http';
import { closeServer, countConnections, EmulatorClock, EmulatorStats, FaultPlan, listenOn, silentLogger, type EmulatorLogger } from '#libs/emulator-kit';
import type { AgentCoreTarget } from '../agentcore-target.js';
import { createRouter } from './agentcore-router.js';
import { MicroVmPool } from './microvm-pool.js';
import { RuntimeCatalog, type EmulatedRuntime, type RuntimeSpec } from './runtime-catalog.js';

export interface AgentCoreEmulatorOptions {
  /** Defaults to 127.0.0.1: the emulator accepts any credential, so it must not face a network. */
  host?: string;
  /** Defaults to 0, any free port. */
  port?: number;
  /** Share one clock between emulators so a test advances them together. */
  clock?: EmulatorClock;
  logger?: EmulatorLogger;
  /** Real milliseconds between streamed chunks, to make offline demos read like a live agent. Defaults to 0. */
  pacingMs?: number;
}

/**
 * A running emulator of AgentCore Runtime's data plane (InvokeAgentRuntime,
 * StopRuntimeSession) and of the control plane's GetAgentRuntime, for
 * `@aws-sdk/client-bedrock-agentcore` 3.1141 with `endpoint` set to `url`.
 */
export interface AgentCoreEmulator {
  /** The `endpoint` to hand the SDK clients (data and control plane alike). */
  readonly url: string;
  readonly clock: EmulatorClock;
  /**
   * Fault ops, one per HTTP call: `invoke`, `stop`, `getAgentRuntime`. On
   * `invoke`, `status` refuses before the agent runs; `delay` holds the first
   * chunk; `truncate` cuts the socket after n content chunks; `stall` sends
   * headers and nothing else.
   */
  readonly faults: FaultPlan;
  /**
   * Counts every HTTP op, `turns.run` (turns the agent ran), `microvm.boot`,
   * `microvm.reaped.idle_timeout|max_lifetime` and `agent.stateLost`.
   */
  readonly stats: EmulatorStats;
  /** A Strands-style runtime with fixed ids, so an agent stored against it keeps working after a restart. */
  readonly demoTarget: AgentCoreTarget;
  /** The same agent writing plain text chunks (`responseCodec: "text"`). */
  readonly demoTextTarget: AgentCoreTarget;
  /** Deploys another runtime (e.g. with a short idle timeout for a test). */
  addRuntime(spec: RuntimeSpec): EmulatedRuntime;
  /** Whether a session has a live microVM now (checked against the clock, as the service would). */
  hasMicroVm(runtimeSessionId: string): boolean;
  /**
   * The provider loses the session (a host failure): its microVM dies, and
   * AgentCore silently boots a fresh one on the next invocation, whose agent
   * detects the loss and answers `SessionStateLost`.
   */
  loseSession(runtimeSessionId: string): void;
  /** StopRuntimeSession out of band: the microVM dies; the next invocation silently starts over (detected from turn 2 by `resume`). */
  killMicroVm(runtimeSessionId: string): void;
  stop(): Promise<void>;
}

/** Fixed, so targets stored against the emulator survive restarts. */
const demoRuntimes = {
  strands: { name: 'switchboard_demo', dialect: 'strands', suffix: 'SbDemo0001' },
  text: { name: 'switchboard_demo_text', dialect: 'text', suffix: 'SbDemo0002' },
} as const satisfies Record<string, RuntimeSpec>;

export async function startAgentCoreEmulator(options: AgentCoreEmulatorOptions = {}): Promise<AgentCoreEmulator> {
  const host = options.host ?? '127.0.0.1';
  const clock = options.clock ?? new EmulatorClock();
  const logger = options.logger ?? silentLogger;
  const faults = new FaultPlan();
  const stats = new EmulatorStats();
  const catalog = new RuntimeCatalog(() => clock.now());
  const pool = new MicroVmPool(clock, stats);
  const strands = catalog.add(demoRuntimes.strands);
  const text = catalog.add(demoRuntimes.text);
  const server = createServer(createRouter({ catalog, pool, clock, stats, faults, logger, pacingMs: options.pacingMs ?? 0 }));
  countConnections(server, stats);
  const port = await listenOn(server, options.port ?? 0, host);
  const url = `http://${host}:${port}`;
  logger.info({ url }, 'AgentCore Runtime emulator listening');
  const demo = (runtime: EmulatedRuntime, responseCodec: AgentCoreTarget['responseCodec']): AgentCoreTarget => ({
    agentRuntimeArn: runtime.arn,
    qualifier: 'DEFAULT',
    responseCodec,
    vcpu: 2,
    memoryGiB: 8,
  });
  return {
    url,
    clock,
    faults,
    stats,
    demoTarget: demo(strands, 'strands'),
    demoTextTarget: demo(text, 'text'),
    addRuntime: (spec) => catalog.add(spec),
    hasMicroVm: (runtimeSessionId) => pool.findBySessionId(runtimeSessionId).length > 0,
    loseSession: (runtimeSessionId) => pool.markLost(runtimeSessionId),
    killMicroVm: (runtimeSessionId) => pool.findBySessionId(runtimeSessionId).forEach((vm) => pool.terminate(vm)),
    stop: async () => {
      pool.terminateAll();
      await closeServer(server);
      logger.info({ url }, 'AgentCore Runtime emulator stopped');
    },
  };
}
