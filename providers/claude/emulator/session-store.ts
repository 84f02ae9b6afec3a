import type { EmulatorClock } from '#libs/emulator-kit';
import { notFound } from './api-errors.js';
import { newClaudeId } from './claude-ids.js';
import type { PromptCacheState } from './prompt-cache.js';
import type { SessionAgentSnapshot } from './setup-registry.js';

export type SessionStatus = 'idle' | 'running' | 'rescheduling' | 'terminated';

/** One entry of a session's persisted event log. */
export interface SessionEvent {
  id: string;
  type: string;
  /** `null` while a sent event waits in the queue. */
  processed_at: string | null;
  [field: string]: unknown;
}

/** A stream-only event (`event_start` / `event_delta`): sent live, never persisted. */
export interface DeltaEvent {
  type: 'event_start' | 'event_delta';
  [field: string]: unknown;
}

/** One open `events/stream` connection. */
export interface StreamListener {
  /** `deltaOf` is set on stream-only events and names the event type they build up. */
  deliver(event: SessionEvent | DeltaEvent, deltaOf?: string): void;
  /** The session will say nothing more: end the stream. */
  end(): void;
}

export interface SessionRecord extends PromptCacheState {
  readonly id: string;
  agent: SessionAgentSnapshot;
  readonly environmentId: string;
  readonly resources: unknown[];
  readonly createdAt: number;
  updatedAt: number;
  archivedAt: number | null;
  status: SessionStatus;
  title: string | null;
  metadata: Record<string, string>;
  vaultIds: string[];
  budget: unknown;
  /** Uncached input tokens, as `usage.input_tokens` counts them. */
  inputTokens: number;
  outputTokens: number;
  cacheReadInputTokens: number;
  /** Cache writes; all of them 5-minute ones (the emulator never writes 1-hour entries). */
  cacheCreationInputTokens: number;
  /** Turns that reached `session.status_idle`: every second one ends without a `session.usage` snapshot. */
  turnsFinished: number;
  /** Emulated milliseconds spent `running` in finished turns. */
  activeMs: number;
  /** When the session last became `running`, on the emulator clock. */
  runningSince: number | null;
  readonly events: SessionEvent[];
  readonly listeners: Set<StreamListener>;
}

export type NewSession = Pick<SessionRecord, 'agent' | 'environmentId' | 'resources' | 'title' | 'metadata' | 'vaultIds' | 'budget'>;

/** Sessions, their append-only event logs, and the live streams attached to them. */
export class SessionStore {
  private readonly sessions = new Map<string, SessionRecord>();

  constructor(private readonly clock: EmulatorClock) {}

  create(init: NewSession): SessionRecord {
    const now = this.clock.now();
    const session: SessionRecord = {
      ...init,
      id: newClaudeId('sesn'),
      createdAt: now,
      updatedAt: now,
      archivedAt: null,
      status: 'idle',
      inputTokens: 0,
      outputTokens: 0,
      cacheReadInputTokens: 0,
      cacheCreationInputTokens: 0,
      cachedPromptTokens: 0,
      cacheExpiresAt: 0,
      turnsFinished: 0,
      activeMs: 0,
      runningSince: null,
      events: [],
      listeners: new Set(),
    };
    this.sessions.set(session.id, session);
    return session;
  }

  find(id: string): SessionRecord {
    const session = this.sessions.get(id);
    if (!session) throw notFound('session', id);
    return session;
  }

  /** Every session, oldest first. */
  all(): SessionRecord[] {
    return [...this.sessions.values()];
  }

  /** Forgets the session and its log; open streams end after whatever was last delivered. */
  remove(session: SessionRecord): void {
    this.sessions.delete(session.id);
    this.endStreams(session);
  }

  touch(session: SessionRecord): void {
    session.updatedAt = this.clock.now();
  }

  /** Stamps an event with an id (unless it has one) and the emulated time, logs it and sends it to every open stream. */
  append(session: SessionRecord, event: { type: string; id?: string; [field: string]: unknown }): SessionEvent {
    const logged: SessionEvent = { id: newClaudeId('sevt'), ...event, processed_at: this.clock.nowIso() };
    session.events.push(logged);
    this.publish(session, logged);
    return logged;
  }

  /** Logs a sent event as queued (`processed_at: null`); it reaches streams once processed. */
  enqueue(session: SessionRecord, event: { type: string; [field: string]: unknown }): SessionEvent {
    // The id is always ours: a client's stray `id` field must not collide with the log.
    const queued: SessionEvent = { ...event, id: newClaudeId('sevt'), processed_at: null };
    session.events.push(queued);
    return queued;
  }

  /** Stamps a queued event as processed and echoes it to the streams, as the API does when the agent picks it up. */
  markProcessed(session: SessionRecord, event: SessionEvent): void {
    event.processed_at = this.clock.nowIso();
    this.publish(session, event);
  }

  sendDelta(session: SessionRecord, delta: DeltaEvent, deltaOf: string): void {
    for (const listener of session.listeners) listener.deliver(delta, deltaOf);
  }

  /** Attaches a live stream; returns the detach function. */
  subscribe(session: SessionRecord, listener: StreamListener): () => void {
    session.listeners.add(listener);
    return () => session.listeners.delete(listener);
  }

  endStreams(session: SessionRecord): void {
    for (const listener of session.listeners) listener.end();
    session.listeners.clear();
  }

  private publish(session: SessionRecord, event: SessionEvent): void {
    for (const listener of session.listeners) listener.deliver(event);
  }
}
