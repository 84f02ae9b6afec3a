import type { EmulatorClock, EmulatorLogger, EmulatorRoute, EmulatorStats, FaultPlan } from '#libs/emulator-kit';
import type { AgentRegistry } from './agent-registry.js';
import type { ConversationStore } from './conversation-store.js';
import type { SessionStore } from './session-store.js';

/** Everything a route handler may use. */
export interface EmulatorServices {
  clock: EmulatorClock;
  stats: EmulatorStats;
  faults: FaultPlan;
  logger: EmulatorLogger;
  agents: AgentRegistry;
  sessions: SessionStore;
  conversations: ConversationStore;
  /** Real milliseconds between streamed events (0: just yield to the event loop). */
  pacingMs: number;
}

/** A JSON answer, or `written` when the handler wrote the response itself (an event stream). */
export type RouteResult = { status: number; body?: unknown } | 'written';

/** A Foundry operation; every path captures `project`. */
export interface Route extends EmulatorRoute<RouteResult> {
  method: 'GET' | 'POST' | 'DELETE';
}

/** Every project-scoped path starts here. */
export const projectPrefix = '/api/projects/{project}';
/** The agent endpoint's OpenAI-compatible protocol. */
export const openaiPrefix = `${projectPrefix}/agents/{agent}/endpoint/protocols/openai`;

export const ok = (body: unknown, status = 200): RouteResult => ({ status, body });
