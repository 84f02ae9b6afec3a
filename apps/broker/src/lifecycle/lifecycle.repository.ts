import type { Transaction } from '#libs/persistence';
import { replicaGoneSql } from './replica-presence.js';

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

  /**
   * Turns still `running` that started before `olderThanMs` ago, whatever
   * their session's state (a session terminated elsewhere no longer points
   * at its turn, but the turn may still hold a budget reservation).
   */
  async findLostTurns(olderThanMs: number, limit: number): Promise<ClaimedTurn[]> {
    // Matches the partial index turns_running_idx.
    const rows = await this.tx.rows<{ id: string; tenant_id: string; session_id: string }>(
      `SELECT id, tenant_id, session_id FROM turns
       WHERE status = 'running' AND started_at < now() - ${ms('$1')}
       ORDER BY started_at LIMIT $2`,
      [olderThanMs, limit],
    );
    return rows.map((row) => ({ id: row.session_id, tenantId: row.tenant_id, turnId: row.id }));
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
   * Locks the session, then its turn `turnId` if that is still `running`
   * and started before `olderThanMs` ago; undefined otherwise (it ended, or
   * is younger). Sessions before turns: the order every writer locks them in.
   */
  async lockLostTurn(claim: ClaimedTurn, olderThanMs: number): Promise<RunningTurn | undefined> {
    await this.tx.rows(`SELECT 1 FROM sessions WHERE id = $1 FOR UPDATE`, [claim.id]);
    const [row] = await this.tx.rows<RunningTurnRow>(
      `SELECT t.id, t.user_id, s.provider, t.started_at FROM turns t JOIN sessions s ON s.id = t.session_id
       WHERE t.id = $1 AND t.session_id = $2 AND t.status = 'running' AND t.started_at < now() - ${ms('$3')}
       FOR UPDATE OF t`,
      [claim.turnId, claim.id, olderThanMs],
    );
    return row && toRunningTurn(row);
  }

  /**
   * The session's running turn, locked with its session, when the replica
   * that runs it is gone (not this one, and not connected: see
   * replica-presence.ts); undefined when there is none or its replica lives
   * (that replica's own abort ends it).
   */
  async lockOrphanedTurnOf(sessionId: string, thisReplica: string): Promise<RunningTurn | undefined> {
    const [session] = await this.tx.rows<{ current_turn_id: string | null }>(`SELECT current_turn_id FROM sessions WHERE id = $1 FOR UPDATE`, [sessionId]);
    if (!session?.current_turn_id) return undefined;
    const [row] = await this.tx.rows<RunningTurnRow>(
      `SELECT t.id, t.user_id, s.provider, t.started_at FROM turns t JOIN sessions s ON s.id = t.session_id
       WHERE t.id = $1 AND t.session_id = $2 AND t.status = 'running' AND ${replicaGoneSql('t.replica_id', '$3')}
       FOR UPDATE OF t`,
      [session.current_turn_id, sessionId, thisReplica],
    );
    return row && toRunningTurn(row);
  }

  /**
   * Drops the session's claim if it is still `turnId`'s (the session is
   * idle again, its idle clock restarted as at the end of any turn; a
   * terminated session stays so) and reserves a seq for the turn's last
   * event, which is returned.
   */
  async releaseClaimFor(sessionId: string, turnId: string): Promise<number> {
    const rows = await this.tx.rows<{ seq: string }>(
      `UPDATE sessions SET
         status = CASE WHEN current_turn_id = $2 AND status = 'active' THEN 'idle' ELSE status END,
         idle_expires_at = CASE WHEN current_turn_id = $2 AND status <> 'terminated' THEN now() + make_interval(secs => idle_timeout_seconds) ELSE idle_expires_at END,
         turn_started_at = CASE WHEN current_turn_id = $2 THEN NULL ELSE turn_started_at END,
         current_turn_id = CASE WHEN current_turn_id = $2 THEN NULL ELSE current_turn_id END,
         next_event_seq = next_event_seq + 1
       WHERE id = $1 RETURNING next_event_seq - 1 AS seq`,
      [sessionId, turnId],
    );
    return Number(rows[0].seq);
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

/** A running turn as the reaper or a termination ends it. */
export interface RunningTurn {
  id: string;
  userId: string;
  provider: string;
  startedAt: Date;
}

interface RunningTurnRow {
  id: string;
  user_id: string;
  provider: string;
  started_at: Date;
}

const toRunningTurn = (row: RunningTurnRow): RunningTurn => ({ id: row.id, userId: row.user_id, provider: row.provider, startedAt: row.started_at });
