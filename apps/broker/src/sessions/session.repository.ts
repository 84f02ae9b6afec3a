import { hotStatement, type Transaction } from '#libs/persistence';
import type { ProviderId } from '#libs/runtime-spec';
import {
  auditAppendSql,
  auditAppendValues,
  chainHeadOf,
  lockChainHeadSql,
  lockChainHeadStatement,
  type ChainedAuditEvent,
  type ChainHead,
  type ChainHeadColumns,
} from '../audit/audit-log.js';
import { countSessionCreateSql, storedPoliciesOf, storedPolicyColumns, type StoredPolicies, type StoredPolicyColumns } from '../limits/limits.repository.js';
import { turnWindowStartColumns, turnWindowStartOf, type TurnWindowStart, type TurnWindowStartColumns } from '../costs/meter.repository.js';
import type { SessionStatus, TerminationReason } from './session.schemas.js';

export interface Session {
  id: string;
  tenantId: string;
  userId: string;
  agentId: string;
  agentName: string;
  agentInstructions: string | null;
  /** The agent's target for this provider, as it was when the session was created. */
  target: unknown;
  provider: ProviderId;
  providerSessionId: string | null;
  providerState: Record<string, unknown>;
  status: SessionStatus;
  terminationReason: TerminationReason | null;
  metadata: Record<string, unknown>;
  idleTimeoutSeconds: number;
  maxLifetimeSeconds: number;
  createdAt: Date;
  lastActivityAt: Date;
  idleExpiresAt: Date | null;
  expiresAt: Date | null;
  endedAt: Date | null;
  currentTurnId: string | null;
  turnStartedAt: Date | null;
  nextEventSeq: number;
  turnCount: number;
  inputTokens: number;
  outputTokens: number;
  activeSeconds: number;
  costUsd: string;
  providerStoppedAt: Date | null;
  /** Tool calls the last turn left waiting for a person's decision (API.md §4 "Tool approvals"). */
  pendingApprovals: PendingApproval[];
}

/** A tool call waiting for approval, as the session remembers it. */
export interface PendingApproval {
  toolCallId: string;
  name: string;
  /** The turn that asked. */
  turnId: string;
}

interface SessionRow {
  id: string;
  tenant_id: string;
  user_id: string;
  agent_id: string;
  agent_name: string;
  agent_instructions: string | null;
  target: unknown;
  provider: ProviderId;
  provider_session_id: string | null;
  provider_state: Record<string, unknown>;
  status: SessionStatus;
  termination_reason: TerminationReason | null;
  metadata: Record<string, unknown>;
  idle_timeout_seconds: number;
  max_lifetime_seconds: number;
  created_at: Date;
  last_activity_at: Date;
  idle_expires_at: Date | null;
  expires_at: Date | null;
  ended_at: Date | null;
  current_turn_id: string | null;
  turn_started_at: Date | null;
  next_event_seq: string;
  turn_count: number;
  input_tokens: string;
  output_tokens: string;
  active_seconds: string;
  cost_usd: string;
  provider_stopped_at: Date | null;
  pending_approvals: PendingApproval[] | null;
}

const columns = `s.id, s.tenant_id, s.user_id, s.agent_id, a.name AS agent_name, a.instructions AS agent_instructions, s.target, s.provider, s.provider_session_id,
  s.provider_state, s.status, s.termination_reason, s.metadata, s.idle_timeout_seconds, s.max_lifetime_seconds,
  s.created_at, s.last_activity_at, s.idle_expires_at, s.expires_at, s.ended_at, s.current_turn_id, s.turn_started_at,
  s.next_event_seq, s.turn_count, s.input_tokens, s.output_tokens, s.active_seconds, s.cost_usd, s.provider_stopped_at,
  s.pending_approvals`;
const select = `SELECT ${columns} FROM sessions s JOIN agents a ON a.id = s.agent_id`;

/**
 * The claim, and (only when it claimed) the tenant's audit chain head locked
 * and read for the turn's `session.accessed` record, and the start of the
 * turn's metering window: one round trip. The
 * head's lock depends on the claimed row, so the session row is always
 * locked first, as every other writer of both does.
 */
const claimOwnTurnStatement = hotStatement(
  'claim_own_turn',
  `WITH claimed AS (
     UPDATE sessions s SET current_turn_id = $3, turn_started_at = now(), status = 'active', next_event_seq = s.next_event_seq + 1
     FROM agents a
     WHERE s.id = $1 AND s.user_id = $2 AND a.id = s.agent_id AND s.status IN ('idle', 'active') AND s.current_turn_id IS NULL
       AND (s.expires_at IS NULL OR s.expires_at > now())
       AND (s.status <> 'idle' OR s.idle_expires_at IS NULL OR s.idle_expires_at > now())
     RETURNING ${columns}
   ), head AS (
     ${lockChainHeadSql('claimed.tenant_id', 'FROM claimed')}
   )
   SELECT claimed.*, head.*, ${storedPolicyColumns('$2')}, ${turnWindowStartColumns('claimed')} FROM claimed, head`,
);

/**
 * A session create's last statement (sent with COMMIT): the session in
 * `provisioning`, the create counted in the user's rate window (`$10`), its
 * `session.bound` audit record ($11…) and the chain head moved on.
 */
const bindProvisioningStatement = (() => {
  const audit = auditAppendSql(11);
  return hotStatement(
    'bind_provisioning_session',
    `WITH s AS (
       INSERT INTO sessions (id, tenant_id, user_id, agent_id, provider, target, status, metadata, idle_timeout_seconds,
         max_lifetime_seconds, expires_at, idle_expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, 'provisioning', $7, $8::integer, $9::integer, now() + make_interval(secs => $9::integer),
         now() + make_interval(secs => $8::integer))
       RETURNING *
     ), counted AS (
       ${countSessionCreateSql('$2', '$3', '$10')}
     ), audited AS (
       ${audit.insertEvent}
     ), queued AS (
       ${audit.queueDeliveries}
     ), moved AS (
       ${audit.moveHead}
     )
     SELECT ${columns}, (SELECT count(*) FROM queued)::int AS queued FROM s JOIN agents a ON a.id = s.agent_id`,
  );
})();

/** Provisioned sessions as they read after {@link markManyReadyStatement}, with the tenant's chain head (locked before by the same transaction). */
const readyWithChainHeadStatement = hotStatement(
  'ready_sessions_with_chain_head',
  `SELECT ${columns}, h.last_seq AS audit_last_seq, h.last_hash AS audit_last_hash, h.last_at AS audit_last_at,
     EXISTS (SELECT 1 FROM webhooks WHERE tenant_id = $2 AND status IN ('active', 'paused')) AS tenant_has_webhooks
   FROM audit_chain_heads h LEFT JOIN (sessions s JOIN agents a ON a.id = s.agent_id) ON s.id = ANY($1::text[])
   WHERE h.tenant_id = $2`,
);

/** {@link SessionRepository.markReady}, for one session or several (`$1`: a JSON array of `{id, provider_session_id, provider_state}`). */
const markManyReadyStatement = hotStatement(
  'mark_sessions_ready',
  `UPDATE sessions s SET provider_session_id = r.provider_session_id, provider_state = r.provider_state,
     status = CASE WHEN s.status = 'provisioning' THEN 'idle' ELSE s.status END,
     last_activity_at = CASE WHEN s.status = 'provisioning' THEN now() ELSE s.last_activity_at END,
     idle_expires_at = CASE WHEN s.status = 'provisioning' THEN now() + make_interval(secs => s.idle_timeout_seconds) ELSE s.idle_expires_at END
   FROM jsonb_to_recordset($1::jsonb) AS r(id text, provider_session_id text, provider_state jsonb)
   WHERE s.id = r.id AND s.provider_session_id IS NULL`,
);

const findManyStatement = hotStatement('find_sessions', `${select} WHERE s.id = ANY($1::text[])`);

/** A session to record in `provisioning`. */
export interface ProvisioningSession {
  id: string;
  tenantId: string;
  userId: string;
  agentId: string;
  provider: ProviderId;
  target: unknown;
  metadata: Record<string, unknown>;
  idleTimeoutSeconds: number;
  maxLifetimeSeconds: number;
}

const bindValues = (session: ProvisioningSession, countCreate: boolean, bound: ChainedAuditEvent & { hash: string }): unknown[] => [
  session.id, session.tenantId, session.userId, session.agentId, session.provider, JSON.stringify(session.target ?? {}),
  JSON.stringify(session.metadata), session.idleTimeoutSeconds, session.maxLifetimeSeconds, countCreate, ...auditAppendValues(bound),
];

const toSession = (row: SessionRow): Session => ({
  id: row.id,
  tenantId: row.tenant_id,
  userId: row.user_id,
  agentId: row.agent_id,
  agentName: row.agent_name,
  agentInstructions: row.agent_instructions,
  target: row.target,
  provider: row.provider,
  providerSessionId: row.provider_session_id,
  providerState: row.provider_state,
  status: row.status,
  terminationReason: row.termination_reason,
  metadata: row.metadata,
  idleTimeoutSeconds: row.idle_timeout_seconds,
  maxLifetimeSeconds: row.max_lifetime_seconds,
  createdAt: row.created_at,
  lastActivityAt: row.last_activity_at,
  idleExpiresAt: row.idle_expires_at,
  expiresAt: row.expires_at,
  endedAt: row.ended_at,
  currentTurnId: row.current_turn_id,
  turnStartedAt: row.turn_started_at,
  nextEventSeq: Number(row.next_event_seq),
  turnCount: row.turn_count,
  inputTokens: Number(row.input_tokens),
  outputTokens: Number(row.output_tokens),
  activeSeconds: Number(row.active_seconds),
  costUsd: row.cost_usd,
  providerStoppedAt: row.provider_stopped_at,
  pendingApprovals: row.pending_approvals ?? [],
});

export interface SessionListFilter {
  userId: string;
  status?: SessionStatus;
  agent?: string;
  provider?: ProviderId;
  afterId: string | null;
  limit: number;
}

/** Sessions of the transaction's tenant (RLS). Reads for a user always name the user. */
export class SessionRepository {
  constructor(private readonly tx: Transaction) {}

  /** Of `ids`, the sessions that are terminated, and why. */
  async findTerminated(ids: string[]): Promise<Array<{ id: string; terminationReason: TerminationReason }>> {
    const rows = await this.tx.rows<{ id: string; termination_reason: TerminationReason }>(`SELECT id, termination_reason FROM sessions WHERE id = ANY($1) AND status = 'terminated'`, [ids]);
    return rows.map((row) => ({ id: row.id, terminationReason: row.termination_reason }));
  }

  /** Sessions not yet terminated, by provider and state (platform scope: every tenant's). */
  async countLiveByProviderAndStatus(): Promise<Array<{ provider: string; status: string; count: number }>> {
    const rows = await this.tx.rows<{ provider: string; status: string; count: string }>(
      `SELECT provider, status, count(*) AS count FROM sessions WHERE status <> 'terminated' GROUP BY provider, status`,
    );
    return rows.map((row) => ({ provider: row.provider, status: row.status, count: Number(row.count) }));
  }

  /** Tells every replica listening on `channel` that the session ended: delivered at COMMIT. */
  async announceEnded(channel: string, sessionId: string, reason: TerminationReason): Promise<void> {
    await this.tx.rows(`SELECT pg_notify($1, $2)`, [channel, JSON.stringify({ session: sessionId, reason })]);
  }

  async insertProvisioning(session: ProvisioningSession): Promise<void> {
    await this.tx.rows(
      `INSERT INTO sessions (id, tenant_id, user_id, agent_id, provider, target, status, metadata, idle_timeout_seconds,
         max_lifetime_seconds, expires_at, idle_expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, 'provisioning', $7, $8::integer, $9::integer, now() + make_interval(secs => $9::integer),
         now() + make_interval(secs => $8::integer))`,
      [session.id, session.tenantId, session.userId, session.agentId, session.provider, JSON.stringify(session.target ?? {}),
        JSON.stringify(session.metadata), session.idleTimeoutSeconds, session.maxLifetimeSeconds],
    );
  }

  /**
   * Records a new session in `provisioning` with its `session.bound` audit
   * record (chained on the head this transaction locked; `countCreate`
   * counts the create in the user's rate window), sent with the
   * transaction's next statement (several creates in one round trip); the
   * caller wakes the webhook deliveries, as for `deferChainedEvent`.
   */
  deferBindProvisioning(session: ProvisioningSession, countCreate: boolean, bound: ChainedAuditEvent & { hash: string }): void {
    this.tx.defer(bindProvisioningStatement, bindValues(session, countCreate, bound));
  }

  /** The sessions `ids`; `andCommit`: as the transaction's last statement, sent with its COMMIT. */
  async findMany(ids: string[], options: { andCommit: boolean }): Promise<Session[]> {
    const rows = options.andCommit ? await this.tx.final<SessionRow>(findManyStatement, [ids]) : await this.tx.hot<SessionRow>(findManyStatement, [ids]);
    return rows.map(toSession);
  }

  /** The user's session, or undefined when it does not exist for this user (other users' sessions included). */
  async findForUser(id: string, userId: string, options: { lock?: boolean } = {}): Promise<Session | undefined> {
    const rows = await this.tx.rows<SessionRow>(
      `${select} WHERE s.id = $1 AND s.user_id = $2${options.lock ? ' FOR UPDATE OF s' : ''}`,
      [id, userId],
    );
    return rows[0] && toSession(rows[0]);
  }

  async findById(id: string, options: { lock?: boolean } = {}): Promise<Session | undefined> {
    const rows = await this.tx.rows<SessionRow>(`${select} WHERE s.id = $1${options.lock ? ' FOR UPDATE OF s' : ''}`, [id]);
    return rows[0] && toSession(rows[0]);
  }

  async listForUser(filter: SessionListFilter): Promise<Session[]> {
    const rows = await this.tx.rows<SessionRow>(
      `${select} WHERE s.user_id = $1 AND ($2::text IS NULL OR s.status = $2) AND ($3::text IS NULL OR s.agent_id = $3 OR a.name = $3)
         AND ($4::text IS NULL OR s.provider = $4) AND ($5::text IS NULL OR s.id < $5)
       ORDER BY s.id DESC LIMIT $6`,
      [filter.userId, filter.status ?? null, filter.agent ?? null, filter.provider ?? null, filter.afterId, filter.limit + 1],
    );
    return rows.map(toSession);
  }

  /**
   * Records the provider session and makes a provisioning session idle. A
   * session already terminated meanwhile (the reaper took it for stuck) keeps
   * its status but still gets the provider session id, so its stop can follow.
   */
  /**
   * Records the provider session and makes a provisioning session idle. A
   * session already terminated meanwhile (the reaper took it for stuck) keeps
   * its status but still gets the provider session id, so its stop can follow.
   */
  async markReady(id: string, providerSessionId: string, providerState: Record<string, unknown>): Promise<void> {
    await this.tx.hot(markManyReadyStatement, [JSON.stringify([{ id, provider_session_id: providerSessionId, provider_state: providerState }])]);
  }

  /**
   * {@link markReady} for sessions of one tenant, then the tenant's audit
   * chain head locked (session rows first, head second, as every writer of
   * both), then the sessions (in the order given; undefined for one not
   * found) and the head read: one round trip.
   */
  async markReadyLockingChainHead(
    tenantId: string,
    ready: Array<{ id: string; providerSessionId: string; providerState: Record<string, unknown> }>,
  ): Promise<{ sessions: Array<Session | undefined>; auditHead: ChainHead; tenantHasWebhooks: boolean }> {
    const records = ready.map((session) => ({ id: session.id, provider_session_id: session.providerSessionId, provider_state: session.providerState }));
    this.tx.defer(markManyReadyStatement, [JSON.stringify(records)]);
    this.tx.defer(lockChainHeadStatement, [tenantId]);
    const rows = await this.tx.hot<SessionRow & ChainHeadColumns & { tenant_has_webhooks: boolean }>(readyWithChainHeadStatement, [ready.map((session) => session.id), tenantId]);
    const byId = new Map(rows.filter((row) => row.id !== null).map((row) => [row.id, toSession(row)]));
    return { sessions: ready.map((session) => byId.get(session.id)), auditHead: chainHeadOf(rows[0]), tenantHasWebhooks: rows[0].tenant_has_webhooks };
  }

  /** Ends the session (first termination wins) and releases any turn claim. Returns whether this call ended it. */
  async markTerminated(id: string, reason: TerminationReason): Promise<boolean> {
    const count = await this.tx.count(
      `UPDATE sessions SET status = 'terminated', termination_reason = $2, ended_at = now(), current_turn_id = NULL, turn_started_at = NULL
       WHERE id = $1 AND status <> 'terminated'`,
      [id, reason],
    );
    return count > 0;
  }

  async markProviderStopped(id: string): Promise<void> {
    await this.tx.rows(`UPDATE sessions SET provider_stopped_at = now() WHERE id = $1`, [id]);
  }

  /**
   * A turn's claim in one statement, for the common case: the user's own
   * session, live, not past a deadline, with no turn running. Returns the
   * session as claimed, the turn's first event seq, the limits in force and
   * the tenant's audit chain head (locked for this transaction); undefined
   * when any condition fails (the caller then reads the session to tell
   * which answer applies). The deadlines are those of `expiryReason`.
   */
  async claimOwnTurn(
    id: string,
    userId: string,
    turnId: string,
  ): Promise<{ session: Session; firstSeq: number; policies: StoredPolicies; auditHead: ChainHead; window: TurnWindowStart } | undefined> {
    const rows = await this.tx.hot<SessionRow & StoredPolicyColumns & ChainHeadColumns & TurnWindowStartColumns>(claimOwnTurnStatement, [id, userId, turnId]);
    const row = rows[0];
    return row && { session: toSession(row), firstSeq: Number(row.next_event_seq) - 1, policies: storedPoliciesOf(row), auditHead: chainHeadOf(row), window: turnWindowStartOf(row) };
  }

  /**
   * Claims the session for one turn, atomically: at most one turn runs per
   * session across every replica. A claim left by a replica that died
   * mid-turn is released by the reaper (which also closes that turn and its
   * budget reservation), never taken over here. Reserves the seq of the
   * turn's first event and returns it with the start of the turn's metering
   * window, or undefined when another turn holds the session.
   */
  async claimTurn(id: string, turnId: string): Promise<{ firstSeq: number; window: TurnWindowStart } | undefined> {
    const rows = await this.tx.rows<{ next_event_seq: string } & TurnWindowStartColumns>(
      `UPDATE sessions s SET current_turn_id = $2, turn_started_at = now(), status = 'active', next_event_seq = s.next_event_seq + 1
       WHERE s.id = $1 AND s.status IN ('idle', 'active') AND s.current_turn_id IS NULL
       RETURNING s.next_event_seq - 1 AS next_event_seq, ${turnWindowStartColumns('s')}`,
      [id, turnId],
    );
    return rows[0] && { firstSeq: Number(rows[0].next_event_seq), window: turnWindowStartOf(rows[0]) };
  }

  /** Gives back a claim taken in this transaction (the turn was refused after all). */
  async releaseTurn(id: string, turnId: string): Promise<void> {
    await this.tx.rows(
      `UPDATE sessions SET current_turn_id = NULL, turn_started_at = NULL, status = CASE WHEN status = 'active' THEN 'idle' ELSE status END
       WHERE id = $1 AND current_turn_id = $2`,
      [id, turnId],
    );
  }
}
