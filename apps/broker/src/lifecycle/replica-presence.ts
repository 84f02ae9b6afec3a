import { randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import pg from 'pg';
import type { AppConfig } from '#libs/config';
import { appConfigToken } from '../app.tokens.js';
import { logger } from '../logging/logger.js';

/**
 * This process's identity as a broker replica, stamped on every turn it
 * claims (`turns.replica_id`). The process is the replica: two brokers in
 * one process (tests) share it, which only makes them more careful (each
 * sees the other's turns as alive).
 */
export const thisReplicaId = `rpl_${randomBytes(10).toString('hex')}`;

/** The `application_name` of a replica's presence connection: the prefix, then its id. */
export const presenceApplicationPrefix = 'switchboard-replica ';

/**
 * SQL (a boolean) saying that the replica whose id is in `replicaColumn`
 * is gone: it is not this process, and it holds no presence connection to
 * this database. Safe for any role (`application_name` of other sessions is
 * visible to all). On the embedded database, which admits one process, any
 * other replica is a previous run of the broker.
 */
export const replicaGoneSql = (replicaColumn: string, thisReplicaParam: string) =>
  `(${replicaColumn} IS NOT NULL AND ${replicaColumn} <> ${thisReplicaParam}
    AND NOT EXISTS (SELECT 1 FROM pg_stat_activity WHERE application_name = '${presenceApplicationPrefix}' || ${replicaColumn}))`;

/**
 * How other replicas know this one is alive, without heartbeats or clocks:
 * on PostgreSQL, a dedicated connection named after {@link thisReplicaId}.
 * It lives exactly as long as the process (a SIGKILL closes its socket and
 * the server drops it at once), so "no such connection" means the replica
 * is gone and its running turns will never be settled by it.
 *
 * Started before the broker serves, so no turn it claims looks orphaned. If
 * the connection drops while the process lives, it reconnects at once;
 * until then another replica terminating one of its sessions may end that
 * turn's accounting early (its own settlement then finds the turn ended).
 */
@Injectable()
export class ReplicaPresence {
  private client: pg.Client | undefined;
  private stopped = false;
  private retryTimer: NodeJS.Timeout | undefined;

  constructor(@Inject(appConfigToken) private readonly config: AppConfig) {}

  /** Connects (PostgreSQL only); resolves once present, or once the first attempt failed (it retries). */
  async start(): Promise<void> {
    if (this.config.database.kind !== 'postgres' || this.client || this.stopped) return;
    await this.connect(this.config.database.url);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }

  private async connect(url: string): Promise<void> {
    const client = new pg.Client({
      connectionString: url,
      application_name: `${presenceApplicationPrefix}${thisReplicaId}`,
      connectionTimeoutMillis: 5_000,
      keepAlive: true,
    });
    const lost = (error?: unknown) => {
      if (this.client !== client && this.client !== undefined) return;
      this.client = undefined;
      void client.end().catch(() => undefined);
      if (this.stopped) return;
      logger.warn({ component: 'reaper', err: error, replica: thisReplicaId }, 'replica presence connection lost; reconnecting');
      clearTimeout(this.retryTimer);
      this.retryTimer = setTimeout(() => void this.connect(url), 1_000);
      this.retryTimer.unref();
    };
    client.on('error', lost);
    client.on('end', () => lost());
    try {
      await client.connect();
    } catch (error) {
      lost(error);
      return;
    }
    if (this.stopped) {
      await client.end().catch(() => undefined);
      return;
    }
    this.client = client;
  }
}
