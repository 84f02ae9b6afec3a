import type { RuntimeEvent, SessionLife, SessionTotals } from './runtime-events.js';
import type { ProviderId, RuntimeDescriptor, SessionCeilings } from './runtime-descriptor.js';

/**
 * The runtime contract, version 1. Every provider adapter implements
 * {@link RuntimeAdapter}; the broker depends on nothing else of a provider.
 * A change here is a breaking change for every adapter: make it on purpose.
 */

/** Who and what a session is for. Persisted by the broker before any provider call. */
export interface SessionBinding {
  /** The broker's session id (`ses_…`): stable, unique, safe to derive provider ids and idempotency keys from. */
  sessionId: string;
  tenantId: string;
  /** The end user, exactly as the caller gave it. Tenant-qualify it before sending it anywhere shared. */
  userId: string;
  agent: { id: string; name: string; instructions: string | null };
  /** The agent's target for this provider, already accepted by the provider's target schema (its runtime module's `targetSchema`). */
  target: unknown;
  metadata: Record<string, unknown>;
  idleTimeoutSeconds: number;
  maxLifetimeSeconds: number;
}

/**
 * Adapter-owned, JSON-serialisable state of one provider session (ids of
 * conversations, cumulative counters...). The broker stores it verbatim and
 * hands it back on every later call; it never reads inside it.
 */
export type ProviderSessionState = Record<string, unknown>;

export interface OpenedSession {
  /** The provider's own id for the session, shown to clients as `providerSession.id`. */
  providerSessionId: string;
  state: ProviderSessionState;
}

/** A bound session as the broker hands it back to the adapter. */
export interface SessionHandle {
  binding: SessionBinding;
  providerSessionId: string;
  state: ProviderSessionState;
}

export type InputPart = { type: 'text'; text: string };

/**
 * A person's decision on a tool call the agent asked to have approved (an
 * `approval.requested` event of an earlier turn). `message` tells the agent
 * why, for a denial.
 */
export interface ApprovalDecision {
  toolCallId: string;
  decision: 'allow' | 'deny';
  message?: string;
}

export interface TurnRequest {
  session: SessionHandle;
  /** The broker's turn id (`trn_…`), usable as an idempotency key where the provider has one. */
  turnId: string;
  /** Empty when the turn only carries {@link approvals}. */
  input: InputPart[];
  /**
   * Decisions on every tool call the session's previous turn left waiting
   * for approval (the broker denies those the client did not decide). The
   * adapter hands them to the provider before the input, so the agent
   * finishes that work first. Absent or empty when nothing was waiting; only
   * runtimes that emit `approval.requested` ever receive them.
   */
  approvals?: ApprovalDecision[];
  /**
   * Aborted when the client's turn timeout fires or the broker shuts down.
   * The adapter must then stop reading, release its connection, and end the
   * iteration promptly (throwing or returning; the broker records the turn as
   * failed either way).
   */
  signal: AbortSignal;
}

/**
 * Why a target cannot serve, as {@link RuntimeAdapter.checkTarget} reports it:
 * - `target_not_found`: the provider does not know the target (agent, runtime, version, engine).
 * - `target_not_ready`: it exists but cannot serve yet or any more (creating, failed, deleting).
 * - `permission_denied`: the broker's credentials may not read or use it.
 * - `provider_unavailable`: the provider did not answer (down, unreachable, throttled, timed out).
 */
export type TargetCheckCode = 'target_not_found' | 'target_not_ready' | 'permission_denied' | 'provider_unavailable';

/** The answer of {@link RuntimeAdapter.checkTarget}: `detail` is for people (what was asked, what the provider said). */
export type TargetCheck = { ok: true } | { ok: false; code: TargetCheckCode; detail: string };

/** What a turn may tell about the provider session's liveness. */
export type ProviderSessionStatus = 'live' | 'gone';

/**
 * A runtime adapter.
 *
 * Errors: every method throws only {@link RuntimeError} for provider
 * problems (anything else is treated as a bug in the adapter and reported as
 * `provider_error`). Adapters never retry a call that could run a turn twice:
 * SDK retries are off for turn submission, and throttling before the turn
 * was accepted is reported with `turnAccepted: false` so the broker may retry.
 */
export interface RuntimeAdapter {
  readonly id: ProviderId;
  readonly descriptor: RuntimeDescriptor;

  /** Idle-timeout and lifetime ceilings the provider imposes for this target. */
  ceilings(target: unknown): SessionCeilings;

  /**
   * Creates (or, for providers without a session resource, reserves) the
   * provider session for a binding the broker has already persisted.
   *
   * Must be idempotent per `binding.sessionId`: a retry after a lost response
   * must not leave two provider sessions. If it fails after creating
   * something at the provider, it must remove it before throwing, so a failed
   * open leaves nothing running.
   */
  openSession(binding: SessionBinding, signal: AbortSignal): Promise<OpenedSession>;

  /**
   * Runs one turn. Yields normalized events as they arrive, and exactly one
   * `turn.end` when the provider signalled the end of the turn. The broker
   * treats an iteration that finishes without `turn.end` as a truncated
   * stream (`provider_stream_truncated`), and stops iterating on `turn.end`.
   * Never buffers: each event is yielded as soon as it is decoded.
   */
  runTurn(request: TurnRequest): AsyncIterable<RuntimeEvent>;

  /**
   * Ends the provider session. Idempotent: a session the provider no longer
   * knows counts as stopped (no error).
   */
  stopSession(session: SessionHandle): Promise<void>;

  /**
   * Optional: asks the provider whether the session still exists. Providers
   * without a status call omit it; the broker's own clock is then the truth.
   */
  getSessionStatus?(session: SessionHandle): Promise<ProviderSessionStatus>;

  /**
   * Optional: finds the provider session a binding may have left behind when
   * the broker lost track of it: a replica that died after the provider
   * created the session but before the broker recorded its id (the session
   * is still `provisioning` in the broker's database, with no provider id).
   *
   * Returns the provider's session id if such a session exists and is not
   * already ended, else undefined. Looks only; never creates or stops
   * anything. The broker then ends the session with {@link stopSession},
   * passing this id and an EMPTY `state` (`{}`): the open never returned, so
   * nothing of the adapter's own state was stored, and `stopSession` must
   * cope with that.
   *
   * Implement it from what the provider offers to find a session by the
   * binding: a caller-chosen id derived from `binding.sessionId`, or the
   * metadata/labels {@link openSession} wrote. Where `openSession` creates
   * nothing at the provider, return undefined. Adapters that cannot look
   * omit the method; the broker then ends the session in its own database
   * only, and whatever the provider holds ends at the provider's own
   * timeouts. Throws {@link RuntimeError} when the provider cannot answer
   * (the broker asks again later).
   */
  findOrphan?(binding: SessionBinding): Promise<string | undefined>;

  /**
   * Optional: asks the provider's control plane whether a target (already
   * accepted by the runtime module's `targetSchema`) exists and can serve,
   * without opening a session or running anything. Read-only.
   *
   * Answers every provider failure, an aborted `signal` included, as a
   * {@link TargetCheck} (`provider_unavailable` for a timeout). Runtimes with
   * no read call for their targets omit the method; the broker then reports
   * the target as `unchecked`.
   */
  checkTarget?(target: unknown, signal: AbortSignal): Promise<TargetCheck>;

  /**
   * Optional: what the provider bills for the whole session, called once the
   * session has ended and {@link stopSession} succeeded (or the provider lost
   * it). Returns the provider's own session totals where it reports them, or
   * the adapter's estimate of what it bills over the session's life (marked
   * `estimated`); the broker meters the difference from its per-turn records
   * as a reconciliation. Throws {@link RuntimeError} when the provider cannot
   * answer. Runtimes whose turns already carry everything omit it.
   */
  sessionTotals?(session: SessionHandle, life: SessionLife, signal: AbortSignal): Promise<SessionTotals>;
}
