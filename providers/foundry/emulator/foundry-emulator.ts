import { createServer } from 'node:https';
import { isIP } from 'node:net';
import { closeServer, countConnections, EmulatorClock, EmulatorStats, FaultPlan, listenOn, silentLogger, type EmulatorLogger } from '#libs/emulator-kit';
import { agentRoutes } from './agent-routes.js';
import { AgentRegistry } from './agent-registry.js';
import { conversationRoutes } from './conversation-routes.js';
import { ConversationStore, messageText } from './conversation-store.js';
import { createRouter } from './foundry-router.js';
import { responseRoutes } from './response-routes.js';
import type { EmulatorServices } from './route-table.js';
import { SessionStore, type SessionStatus } from './session-store.js';
import { createEmulatorCertificates } from './tls/test-certificates.js';

export interface FoundryEmulatorOptions {
  /** Defaults to 127.0.0.1: the emulator accepts any token, so it must not face a network. */
  host?: string;
  /** Defaults to 0, any free port. */
  port?: number;
  /** Share one clock between emulators so a test advances them together. */
  clock?: EmulatorClock;
  logger?: EmulatorLogger;
  /** Real milliseconds between streamed events, to make offline demos read like a live agent. Defaults to 0. */
  pacingMs?: number;
}

/** The demo project's fixed coordinates: an agent stored against them keeps working after a restart. */
export const demoProject = 'demo';
export const demoAgentName = 'switchboard-demo';
export const demoAgentVersion = '1';
/**
 * The demo target's endpoint. Its host is never dialled: in emulated mode the
 * adapter sends every project endpoint to the emulator, keeping the path.
 */
export const demoProjectEndpoint = `https://switchboard-emulator.services.ai.azure.com/api/projects/${demoProject}`;

/** A running emulator of a Microsoft Foundry project endpoint's hosted-agent surface. */
export interface FoundryEmulator {
  /** The emulator's origin, `https://127.0.0.1:<port>`; projects live under `/api/projects/<name>`. */
  readonly url: string;
  /** PEM of the CA that issued the emulator's certificate: trust it in the client, never globally. */
  readonly caCertificate: string;
  readonly clock: EmulatorClock;
  /**
   * Fault ops, one per HTTP call: `versions.create|get`, `sessions.create|list|get|stop|delete`,
   * `conversations.create|get|delete`, `items.list`, `responses.create`; plus `turns.run`, where a
   * `status` fault makes the agent fail in-band with `response.failed`, and `sessions.create.reply`,
   * where a `status` fault answers with that error after the session was created (a lost answer).
   */
  readonly faults: FaultPlan;
  /** Counts every HTTP op received and `turns.run`, turns the agent actually started. */
  readonly stats: EmulatorStats;
  /** A hosted agent version created at start (1 vCPU, 2 GiB, 900 s idle timeout). */
  readonly demoTarget: { projectEndpoint: string; agentName: string; agentVersion: string };
  /** The service loses the session: it reads `expired`, and turns on it are refused. */
  expireSession(agentName: string, sessionId: string, project?: string): void;
  /** The agent's sessions at the emulator, oldest first. */
  sessions(agentName: string, project?: string): Array<{ id: string; status: SessionStatus }>;
  /** The text of a conversation's message items, oldest first, as `role: text`. */
  transcript(agentName: string, conversationId: string, project?: string): string[];
  stop(): Promise<void>;
}

export async function startFoundryEmulator(options: FoundryEmulatorOptions = {}): Promise<FoundryEmulator> {
  const host = options.host ?? '127.0.0.1';
  const clock = options.clock ?? new EmulatorClock();
  const logger = options.logger ?? silentLogger;
  const services: EmulatorServices = {
    clock,
    logger,
    stats: new EmulatorStats(),
    faults: new FaultPlan(),
    agents: new AgentRegistry(clock),
    sessions: new SessionStore(clock),
    conversations: new ConversationStore(clock),
    pacingMs: options.pacingMs ?? 0,
  };
  services.agents.create(demoProject, demoAgentName, {
    description: 'The deterministic emulator agent: it echoes, remembers, and calls a tool when asked.',
    definition: {
      kind: 'hosted',
      cpu: '1',
      memory: '2Gi',
      container_configuration: { image: 'switchboard.azurecr.io/emulated-agent:1' },
      protocol_versions: [{ protocol: 'responses', version: '1.0.0' }],
      session_configuration: { idle_timeout_seconds: 900 },
    },
  });
  const certificates = createEmulatorCertificates(certificateHosts(host));
  const routes = [...agentRoutes(services), ...conversationRoutes(services), ...responseRoutes(services)];
  const server = createServer(
    { cert: certificates.certificate, key: certificates.privateKey },
    createRouter({ routes, logger, caCertificate: certificates.caCertificate, clock, faults: services.faults, stats: services.stats }),
  );
  countConnections(server, services.stats);
  const port = await listenOn(server, options.port ?? 0, host);
  const url = `https://${isIP(host) === 6 ? `[${host}]` : host}:${port}`;
  logger.info({ url }, 'Microsoft Foundry emulator listening');

  return {
    url,
    caCertificate: certificates.caCertificate,
    clock,
    faults: services.faults,
    stats: services.stats,
    demoTarget: { projectEndpoint: demoProjectEndpoint, agentName: demoAgentName, agentVersion: demoAgentVersion },
    expireSession: (agentName, sessionId, project = demoProject) => services.sessions.expire(services.sessions.find(project, agentName, sessionId)),
    sessions: (agentName, project = demoProject) =>
      services.sessions.list(project, agentName).map((session) => ({ id: session.id, status: services.sessions.status(session) })),
    transcript: (agentName, conversationId, project = demoProject) =>
      services.conversations
        .find(project, agentName, conversationId)
        .items.filter((item) => item.type === 'message')
        .map((item) => `${String(item.role)}: ${messageText(item)}`),
    stop: async () => {
      await closeServer(server);
      logger.info({ url }, 'Microsoft Foundry emulator stopped');
    },
  };
}

/** Loopback under both names, plus the bind address when it is something else. */
function certificateHosts(host: string): string[] {
  const wildcard = host === '0.0.0.0' || host === '::';
  return [...new Set(['127.0.0.1', 'localhost', ...(wildcard ? [] : [host])])];
}
