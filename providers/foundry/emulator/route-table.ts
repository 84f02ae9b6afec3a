import type { IncomingMessage, ServerResponse } from 'node:http';
import type { z } from 'zod';
import { readJsonBody, type EmulatorClock, type EmulatorLogger, type EmulatorStats, type Fault, type FaultPlan, type RouteSpec } from '#libs/emulator-kit';
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

export interface RouteCall {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  /** Path captures; every route has `project`. */
  params: Record<string, string>;
  /** The fault drawn for this call; only streaming routes see one, the router plays it for the others. */
  fault?: Fault;
}

/** A JSON answer, or `written` when the handler wrote the response itself (an event stream). */
export type RouteResult = { status: number; body?: unknown } | 'written';

export interface Route extends RouteSpec {
  method: 'GET' | 'POST' | 'DELETE';
  /** The operation name for stats and faults, e.g. `sessions.create`. */
  op: string;
  /** The handler plays `stream`-shaping faults (delay, stall, truncate) itself. */
  streaming?: boolean;
  handle(call: RouteCall): Promise<RouteResult> | RouteResult;
}

/** Every project-scoped path starts here. */
export const projectPrefix = '/api/projects/{project}';
/** The agent endpoint's OpenAI-compatible protocol. */
export const openaiPrefix = `${projectPrefix}/agents/{agent}/endpoint/protocols/openai`;

/** Parses the JSON body with `schema`; a missing body counts as `{}`. */
export async function readBody<Schema extends z.ZodType>(req: IncomingMessage, schema: Schema): Promise<z.infer<Schema>> {
  return schema.parse((await readJsonBody(req)) ?? {});
}

export const ok = (body: unknown, status = 200): RouteResult => ({ status, body });
