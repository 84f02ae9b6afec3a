import type { Transaction } from '#libs/persistence';

/** A session the reaper acts on: which tenant's transaction it needs, and why. */
export interface SessionRef {
  id: string;
  tenantId: string;
}

export interface ExpiredSession extends SessionRef {
  reason: 'idle_timeout' | 'max_lifetime';
}

export interface ClaimedTurn extends SessionRef {
  turnId: string;
}

const ms = (name: string) => `make_interval(secs => ${name}::double precision / 1000)`;

/**
 * The reaper's reads across every tenant (platform scope) and its few
 * writes that `SessionRepository` has no intention for. Every read is
 * bounded (`limit`); every write is conditional, so two replicas acting on
 * one row change it once.
 */
export class LifecycleRepository {
  constructor(private readonly tx: Transaction) {}

  /** Deletes the rate windows older than the previous minute's (`keep`: an SQL interval); returns how many. */
  async pruneRateWindowsBefore(keep: '1 minute'): Promise<number> {
    return this.tx.count(`DELETE FROM rate_windows WHERE window_start < date_trunc('minute', now()) - $1::interval`, [keep]);
  }

  /**
   * Live sessions past a deadline (by the database's clock), with the reason
   * `expiryReason` in session-view.ts gives: the lifetime always counts, the
   * idle deadline only while no turn runs. `provisioning` sessions are the
   * stuck-provisioning step's (they may have an orphan to stop).
   */
  async findExpired(limit: number): Promise<ExpiredSession[]> {
    // The first two conditions match the partial index sessions_deadlines_idx.
    const rows = await this.tx.rows<{ id: string; tenant_id: string; reason: ExpiredSession['reason'] }>(
      `SELECT id, tenant_id, CASE WHEN expires_at <= now() THEN 'max_lifetime' ELSE 'idle_timeout' END AS reason
       FROM sessions
       WHERE status <> 'terminated' AND (idle_expires_at <= now() OR expires_at <= now())
         AND (expires_at <= now() OR status = 'idle') AND status <> 'provisioning'
       ORDER BY least(idle_expires_at, expires_at)
       LIMIT $1`,
      [limit],
    );
    return rows.map((row) => ({ id: row.id, tenantId: row.tenant_id, reason: row.reason }));
  }

  /** Sessions still `provisioning` since before `olderThanMs` ago. */
  async findStuckProvisioning(olderThanMs: number, limit: number): Promise<SessionRef[]> {
    const rows = await this.tx.rows<{ id: string; tenant_id: string }>(
      `SELECT id, tenant_id FROM sessions
       WHERE status = 'provisioning' AND created_at < now() - ${ms('$1')}
       ORDER BY created_at LIMIT $2`,
      [olderThanMs, limit],
    );
    return rows.map(toRef);
  }

  /** Sessions whose turn claim is older than `olderThanMs`. */
  async findStaleTurnClaims(olderThanMs: number, limit: number): Promise<ClaimedTurn[]> {
    const rows = await this.tx.rows<{ id: string; tenant_id: string; current_turn_id: string }>(
      `SELECT id, tenant_id, current_turn_id FROM sessions
       WHERE status = 'active' AND current_turn_id IS NOT NULL AND turn_started_at < now() - ${ms('$1')}
       ORDER BY turn_started_at LIMIT $2`,
      [olderThanMs, limit],
    );
    return rows.map((row) => ({ ...toRef(row), turnId: row.current_turn_id }));
  }

  /** Idle sessions on `providers`, in id order after `afterId`: a rolling scan for provider status checks. */
  async findIdleOnProviders(providers: string[], afterId: string, limit: number): Promise<SessionRef[]> {
    const rows = await this.tx.rows<{ id: string; tenant_id: string }>(
      `SELECT id, tenant_id FROM sessions
       WHERE status = 'idle' AND provider = ANY($1) AND provider_session_id IS NOT NULL AND id > $2
       ORDER BY id LIMIT $3`,
      [providers, afterId, limit],
    );
    return rows.map(toRef);
  }

  /**
   * Terminated sessions whose provider stop has not succeeded, ended
   * between `windowMs` and `settleMs` ago, in id order after `afterId`.
   */
  async findUnstopped(providers: string[], window: { settleMs: number; windowMs: number }, afterId: string, limit: number): Promise<SessionRef[]> {
    const rows = await this.tx.rows<{ id: string; tenant_id: string }>(
      `SELECT id, tenant_id FROM sessions
       WHERE status = 'terminated' AND provider_stopped_at IS NULL AND provider_session_id IS NOT NULL AND provider = ANY($1)
         AND ended_at < now() - ${ms('$2')} AND ended_at > now() - ${ms('$3')} AND id > $4
       ORDER BY id LIMIT $5`,
      [providers, window.settleMs, window.windowMs, afterId, limit],
    );
    return rows.map(toRef);
  }

  /**
   * Releases a turn claim that is still `turnId`'s and still older than
   * `olderThanMs` (row-locked, so a racing finish or second reaper sees the
   * outcome), reserving a seq for the turn's `turn.failed` event. The session
   * is idle again, its idle clock restarted as at the end of any turn.
   * Returns undefined when the claim was already gone.
   */
  async releaseStaleClaim(claim: ClaimedTurn, olderThanMs: number): Promise<{ seq: number; userId: string; provider: string; turnStartedAt: Date } | undefined> {
    const [held] = await this.tx.rows<{ user_id: string; provider: string; turn_started_at: Date }>(
      `SELECT user_id, provider, turn_started_at FROM sessions
       WHERE id = $1 AND current_turn_id = $2 AND turn_started_at < now() - ${ms('$3')} FOR UPDATE`,
      [claim.id, claim.turnId, olderThanMs],
    );
    if (!held) return undefined;
    const rows = await this.tx.rows<{ seq: string }>(
      `UPDATE sessions SET current_turn_id = NULL, turn_started_at = NULL,
         status = CASE WHEN status = 'active' THEN 'idle' ELSE status END,
         idle_expires_at = now() + make_interval(secs => idle_timeout_seconds), next_event_seq = next_event_seq + 1
       WHERE id = $1 RETURNING next_event_seq - 1 AS seq`,
      [claim.id],
    );
    return { seq: Number(rows[0].seq), userId: held.user_id, provider: held.provider, turnStartedAt: held.turn_started_at };
  }

  /** Fails a turn that is still `running`; a turn that ended meanwhile keeps its outcome. */
  async failRunningTurn(turnId: string, error: { code: string; message: string }): Promise<void> {
    await this.tx.rows(
      `UPDATE turns SET status = 'failed', error = $2, ended_at = now(),
         duration_ms = least(extract(epoch FROM now() - started_at) * 1000, 2147483647)::integer
       WHERE id = $1 AND status = 'running'`,
      [turnId, JSON.stringify(error)],
    );
  }

  /** Records the provider session an orphan search found, if the session is still `provisioning`. */
  async recordOrphan(id: string, providerSessionId: string): Promise<void> {
    await this.tx.rows(`UPDATE sessions SET provider_session_id = $2 WHERE id = $1 AND status = 'provisioning'`, [id, providerSessionId]);
  }
}

const toRef = (row: { id: string; tenant_id: string }): SessionRef => ({ id: row.id, tenantId: row.tenant_id });
