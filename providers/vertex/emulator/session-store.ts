import { status as GrpcStatus } from '@grpc/grpc-js';
import type { EmulatorClock } from '#libs/emulator-kit';
import { reasoningEnginePattern } from '../vertex-target.js';
import { RpcError } from './rpc-errors.js';

/** A reasoning engine the emulator serves, with the class methods its deployment registered. */
export interface EngineSpec {
  name: string;
  classMethods: readonly string[];
}

/** One stored session event, kept as the ADK event it came from (snake_case JSON). */
export interface StoredEvent {
  name: string;
  timestampMs: number;
  adk: Record<string, unknown>;
}

export interface StoredSession {
  name: string;
  engine: string;
  userId: string;
  displayName: string;
  labels: Record<string, string>;
  state: Record<string, unknown>;
  createMs: number;
  updateMs: number;
  expireMs: number;
  events: StoredEvent[];
}

const sessionIdPattern = /^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/;
export const minimumTtlMs = 24 * 3600_000;
/** What the emulator uses when a create gives neither ttl nor expire_time (the real default is undocumented). */
const defaultTtlMs = 365 * 24 * 3600_000;

/**
 * Sessions of every engine, with the service's validation. Expiry is checked
 * lazily against the emulator clock: an expired session is NOT_FOUND, as it
 * is once Vertex has purged it.
 */
export class SessionStore {
  private readonly engines = new Map<string, EngineSpec>();
  private readonly sessions = new Map<string, StoredSession>();
  private nextId = 1;

  constructor(private readonly clock: EmulatorClock) {}

  registerEngine(engine: EngineSpec): void {
    if (!reasoningEnginePattern.test(engine.name)) throw new TypeError(`not a reasoning engine name: ${engine.name}`);
    this.engines.set(engine.name, engine);
  }

  engine(name: string): EngineSpec {
    if (!reasoningEnginePattern.test(name)) throw new RpcError(GrpcStatus.INVALID_ARGUMENT, `Invalid resource name: "${name}".`);
    const engine = this.engines.get(name);
    if (!engine) throw new RpcError(GrpcStatus.NOT_FOUND, `ReasoningEngine ${name} not found.`);
    return engine;
  }

  create(request: { parent: string; sessionId?: string; userId?: string; displayName?: string; labels?: Record<string, string>; state?: Record<string, unknown>; ttlMs?: number; expireMs?: number }): StoredSession {
    const engine = this.engine(request.parent);
    if (!request.userId) throw new RpcError(GrpcStatus.INVALID_ARGUMENT, 'session.user_id is required.');
    if (request.sessionId && !sessionIdPattern.test(request.sessionId)) {
      throw new RpcError(GrpcStatus.INVALID_ARGUMENT, `Invalid session_id "${request.sessionId}": it must be 1-63 characters of [a-z0-9-], start with a letter and end with a letter or digit.`);
    }
    const now = this.clock.now();
    if (request.ttlMs !== undefined && request.ttlMs < minimumTtlMs) throw new RpcError(GrpcStatus.INVALID_ARGUMENT, 'session.ttl must be at least 24 hours.');
    if (request.expireMs !== undefined && request.expireMs - now < minimumTtlMs) throw new RpcError(GrpcStatus.INVALID_ARGUMENT, 'session.expire_time must be at least 24 hours in the future.');
    // Real generated ids are numeric strings.
    const name = `${engine.name}/sessions/${request.sessionId ?? String(9_000_000_000_000 + this.nextId++)}`;
    if (this.find(name)) throw new RpcError(GrpcStatus.ALREADY_EXISTS, `Session ${name} already exists.`);
    const session: StoredSession = {
      name,
      engine: engine.name,
      userId: request.userId,
      displayName: request.displayName ?? '',
      labels: request.labels ?? {},
      state: request.state ?? {},
      createMs: now,
      updateMs: now,
      expireMs: request.expireMs ?? now + (request.ttlMs ?? defaultTtlMs),
      events: [],
    };
    this.sessions.set(name, session);
    return session;
  }

  /** The live session called `name`, or NOT_FOUND. */
  get(name: string): StoredSession {
    const session = this.find(name);
    if (!session) throw new RpcError(GrpcStatus.NOT_FOUND, `Session ${name} not found.`);
    return session;
  }

  /** The live session called `name`, if any; purges it once expired. */
  find(name: string): StoredSession | undefined {
    const session = this.sessions.get(name);
    if (session && this.clock.now() >= session.expireMs) {
      this.sessions.delete(name);
      return undefined;
    }
    return session;
  }

  list(parent: string, userId?: string): StoredSession[] {
    this.engine(parent);
    return [...this.sessions.keys()]
      .map((name) => this.find(name))
      .filter((session): session is StoredSession => session !== undefined && session.engine === parent && (userId === undefined || session.userId === userId));
  }

  delete(name: string): void {
    this.get(name);
    this.sessions.delete(name);
  }

  /** Ends the session's life now (a test hook standing in for its TTL running out). */
  expire(name: string): void {
    const session = this.get(name);
    session.expireMs = this.clock.now();
  }

  appendEvent(session: StoredSession, adk: Record<string, unknown>): StoredEvent {
    const now = this.clock.now();
    const event: StoredEvent = { name: `${session.name}/events/${String(session.events.length + 1).padStart(8, '0')}`, timestampMs: now, adk };
    session.events.push(event);
    session.updateMs = now;
    const delta = (adk.actions as { state_delta?: Record<string, unknown> } | undefined)?.state_delta;
    if (delta) Object.assign(session.state, delta);
    return event;
  }
}
