import pg from 'pg';
import type { AppConfig } from '#libs/config';
import { logger } from '../logging/logger.js';

/**
 * Which replica runs the reaper. Leadership only saves work: every action a
 * sweep takes is conditional in the database (first termination wins, a
 * turn claim is released only if it is still the stale one, stops are
 * idempotent), so two leaders for a moment do nothing twice.
 */
export interface ReaperLeadership {
  /** Whether this replica leads now; a follower tries to take the lead. Never throws. */
  check(): Promise<boolean>;
  /** Gives up the lead (if held) so another replica takes it at its next check. */
  release(): Promise<void>;
}

/**
 * The advisory lock key of the reaper. Next to the migration lock
 * (`0x5b0a_0001`, libs/persistence/migration-runner.ts); advisory locks are
 * per database, so brokers on other databases of one server never contend.
 */
export const reaperLockKey = 0x5b0a_0002;

/** Shows the lock holder in `pg_stat_activity` (join `pg_locks` on pid). */
const applicationName = 'switchboard-reaper';

/**
 * The server ends the lock's connection after this long without a query:
 * a leader that is frozen or cut off loses the lead instead of holding it
 * until TCP notices (hours). It pings far more often while it is alive.
 */
const idleSessionTimeoutMs = 30_000;

/**
 * PostgreSQL: a session-level `pg_try_advisory_lock` held on a dedicated
 * connection, outside the TypeORM pool (a pool of one keeps serving
 * requests). The lock lives exactly as long as that connection, so a
 * replica killed with SIGKILL frees it at once and a follower takes it at
 * its next check: the lease is the check interval.
 */
export class AdvisoryLockLeadership implements ReaperLeadership {
  private client: pg.Client | undefined;
  private held = false;
  /** One query at a time on the connection; the heartbeat and a sweep may both check. */
  private pending: Promise<boolean> = Promise.resolve(false);

  constructor(
    private readonly url: string,
    private readonly key = reaperLockKey,
  ) {}

  check(): Promise<boolean> {
    this.pending = this.pending.then(() => this.refresh());
    return this.pending;
  }

  async release(): Promise<void> {
    await this.pending;
    // Closing the connection is what releases a session advisory lock.
    await this.disconnect();
    if (this.held) logger.info({ component: 'reaper' }, 'reaper: gave up the lead');
    this.held = false;
  }

  private async refresh(): Promise<boolean> {
    const wasLeader = this.held;
    try {
      const client = this.client ?? (await this.connect());
      this.held = this.held ? await this.stillHeld(client) : await this.tryAcquire(client);
    } catch (error) {
      logger.warn({ component: 'reaper', err: error }, 'reaper: the leader-election connection failed; retrying at the next sweep');
      await this.disconnect();
      this.held = false;
    }
    if (this.held && !wasLeader) logger.info({ component: 'reaper', role: 'leader' }, 'reaper: this replica now leads the lifecycle sweeps');
    if (!this.held && wasLeader) logger.warn({ component: 'reaper', role: 'follower' }, 'reaper: this replica lost the lead');
    return this.held;
  }

  private async connect(): Promise<pg.Client> {
    const client = new pg.Client({
      connectionString: this.url,
      application_name: applicationName,
      connectionTimeoutMillis: 5_000,
      query_timeout: 5_000,
      keepAlive: true,
    });
    // A dropped connection surfaces here; without a listener it would crash the process.
    client.on('error', (error) => {
      if (this.client !== client) return;
      const role = this.held ? 'this replica lost the lead' : 'it was a follower';
      logger.warn({ component: 'reaper', err: error, role: 'follower' }, `reaper: the leader-election connection dropped (${role})`);
      this.client = undefined;
      this.held = false;
      void client.end().catch(() => undefined);
    });
    await client.connect();
    try {
      await client.query(`SELECT set_config('idle_session_timeout', $1, false)`, [String(idleSessionTimeoutMs)]);
    } catch (error) {
      // Before PostgreSQL 14: no server-side backstop, TCP keepalive only.
      logger.debug({ component: 'reaper', err: error }, 'reaper: idle_session_timeout is not available');
    }
    this.client = client;
    return client;
  }

  private async tryAcquire(client: pg.Client): Promise<boolean> {
    const { rows } = await client.query<{ acquired: boolean }>('SELECT pg_try_advisory_lock($1) AS acquired', [this.key]);
    return rows[0].acquired;
  }

  /** The lock is ours while our connection's backend holds it (a bigint key is classid/objid, objsubid 1). */
  private async stillHeld(client: pg.Client): Promise<boolean> {
    const { rows } = await client.query<{ held: boolean }>(
      `SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND granted
         AND objsubid = 1 AND ((classid::bigint << 32) | objid::bigint) = $1) AS held`,
      [this.key],
    );
    return rows[0].held;
  }

  private async disconnect(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }
}

/**
 * The embedded database: the broker always leads. Its data folder admits
 * one process, so there is nobody to elect against (and PGlite's single
 * backend session would grant every advisory lock anyway).
 */
export class SingleProcessLeadership implements ReaperLeadership {
  async check(): Promise<boolean> {
    return true;
  }

  async release(): Promise<void> {}
}

export function leadershipFor(database: AppConfig['database']): ReaperLeadership {
  return database.kind === 'postgres' ? new AdvisoryLockLeadership(database.url) : new SingleProcessLeadership();
}
