import type { EmulatorClock } from '#libs/emulator-kit';
import { FoundryApiError, notFound } from './api-errors.js';
import { unixSeconds } from './emulator-ids.js';

/** Sessions live 30 days from their last activity (rolling), per `expires_at` in the SDK docs. */
export const sessionLifetimeMs = 30 * 24 * 3600 * 1000;

export type SessionStatus = 'creating' | 'active' | 'idle' | 'updating' | 'failed' | 'deleting' | 'deleted' | 'expired';

export interface SessionRecord {
  project: string;
  agentName: string;
  id: string;
  version: string;
  idleTimeoutSeconds: number;
  createdAtMs: number;
  lastAccessedAtMs: number;
  /** When `:stop` was last called; the sandbox is idle from then until the next turn. */
  stoppedAtMs: number | null;
  /** Set by the test hook: the service lost the session before its time. */
  expiredAtMs: number | null;
  /** Responses in flight: the sandbox is `active` while any runs. */
  running: number;
}

/**
 * Hosted-agent sessions. Status is derived from the emulator clock whenever it
 * is read, so advancing the clock idles and expires sessions with no timers:
 * `idle` once `idle_timeout_seconds` pass without a turn (or after `:stop`),
 * `expired` 30 days after the last activity. Deleted sessions are forgotten.
 */
export class SessionStore {
  private readonly sessions = new Map<string, SessionRecord>();

  constructor(private readonly clock: EmulatorClock) {}

  create(input: { project: string; agentName: string; id: string; version: string; idleTimeoutSeconds: number }): SessionRecord {
    if (this.sessions.has(key(input.project, input.agentName, input.id))) {
      throw new FoundryApiError(409, 'session_already_exists', `a session with id '${input.id}' already exists for agent '${input.agentName}'`);
    }
    const now = this.clock.now();
    const record: SessionRecord = { ...input, createdAtMs: now, lastAccessedAtMs: now, stoppedAtMs: null, expiredAtMs: null, running: 0 };
    this.sessions.set(key(input.project, input.agentName, input.id), record);
    return record;
  }

  find(project: string, agentName: string, id: string): SessionRecord {
    const record = this.sessions.get(key(project, agentName, id));
    if (!record) throw notFound('session', id);
    return record;
  }

  /** The agent's sessions, oldest first. */
  list(project: string, agentName: string): SessionRecord[] {
    return [...this.sessions.values()].filter((record) => record.project === project && record.agentName === agentName);
  }

  delete(project: string, agentName: string, id: string): void {
    this.sessions.delete(key(project, agentName, id));
  }

  status(record: SessionRecord): SessionStatus {
    const now = this.clock.now();
    if (record.expiredAtMs !== null || now >= record.lastAccessedAtMs + sessionLifetimeMs) return 'expired';
    if (record.running > 0) return 'active';
    if (record.stoppedAtMs !== null && record.stoppedAtMs >= record.lastAccessedAtMs) return 'idle';
    return now - record.lastAccessedAtMs >= record.idleTimeoutSeconds * 1000 ? 'idle' : 'active';
  }

  /** A turn starts or ends: the session is in use (and resumes if it was idle, keeping when it last went idle: `stopped_at` stays). */
  touch(record: SessionRecord): void {
    // Idle by its clocks (a response may already count as running when it resumes the sandbox).
    const idle = (record.stoppedAtMs !== null && record.stoppedAtMs >= record.lastAccessedAtMs) || this.clock.now() - record.lastAccessedAtMs >= record.idleTimeoutSeconds * 1000;
    if (idle) record.stoppedAtMs = this.idleSince(record);
    record.lastAccessedAtMs = this.clock.now();
  }

  /** When an idle session's sandbox stopped: at `:stop`, or when its idle timeout ran out after the last access. */
  private idleSince(record: SessionRecord): number {
    return record.stoppedAtMs !== null && record.stoppedAtMs >= record.lastAccessedAtMs ? record.stoppedAtMs : record.lastAccessedAtMs + record.idleTimeoutSeconds * 1000;
  }

  /** `:stop`: the sandbox is deprovisioned, its files kept. Stopping an idle session is a no-op. */
  stop(record: SessionRecord): void {
    if (this.status(record) === 'expired') throw new FoundryApiError(409, 'session_expired', `session '${record.id}' has expired`);
    if (this.status(record) === 'active') record.stoppedAtMs = this.clock.now();
  }

  expire(record: SessionRecord): void {
    record.expiredAtMs = this.clock.now();
  }

  /** `AgentSessionResource` on the wire (unix seconds). */
  view(record: SessionRecord) {
    const status = this.status(record);
    // `stopped_at`: the last time the sandbox was observed to stop or go idle; present once it has (SDK doc-comment: "used for accurate idle-billing reconciliation").
    const idleSinceMs = status === 'idle' ? this.idleSince(record) : record.stoppedAtMs;
    return {
      agent_session_id: record.id,
      version_indicator: { type: 'version_ref', agent_version: record.version },
      status,
      created_at: unixSeconds(record.createdAtMs),
      last_accessed_at: unixSeconds(record.lastAccessedAtMs),
      expires_at: unixSeconds((record.expiredAtMs ?? record.lastAccessedAtMs + sessionLifetimeMs)),
      ...(idleSinceMs !== null ? { stopped_at: unixSeconds(idleSinceMs) } : {}),
    };
  }
}

const key = (project: string, agentName: string, id: string) => `${project}/${agentName}/${id}`;
