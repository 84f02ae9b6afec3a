import { Inject, Injectable } from '@nestjs/common';
import pg from 'pg';
import type { AppConfig } from '#libs/config';
import { Database } from '#libs/persistence';
import { appConfigToken } from '../app.tokens.js';
import { logger } from '../logging/logger.js';
import { sessionEndedChannel, SessionTerminator } from './session-terminator.js';
import { SessionRepository } from './session.repository.js';
import { terminationReasons, type TerminationReason } from './session.schemas.js';

/** Reconnection back-off of the listening connection: from 1 s, doubling, at most 30 s. */
const firstRetryMs = 1_000;
const maxRetryMs = 30_000;

/**
 * Ends, on this replica, the turns of sessions another replica terminated.
 *
 * A turn streams on the replica that claimed it; a termination (the user's
 * DELETE through the load balancer, the admin kill switch, the reaper's
 * lifetime limit) may run anywhere. The terminating transaction notifies
 * {@link sessionEndedChannel} (delivered at its COMMIT); every replica on
 * PostgreSQL listens on a dedicated connection and aborts its own turn of
 * that session at once, which also interrupts the turn at the provider,
 * whether or not the provider's stop would have cut the stream.
 *
 * Notifications sent while the connection is down are lost, so after every
 * (re)connection the replica also asks the database which of its running
 * turns' sessions have ended. The embedded database admits one process, whose
 * terminations abort its turns directly: nothing to listen to.
 */
@Injectable()
export class SessionEndListener {
  private client: pg.Client | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private retryMs = firstRetryMs;
  private stopped = false;
  /** Connections already given up on: their late 'error'/'end' events must not schedule another reconnection. */
  private readonly retired = new WeakSet<pg.Client>();

  constructor(
    private readonly terminator: SessionTerminator,
    private readonly database: Database,
    @Inject(appConfigToken) private readonly config: AppConfig,
  ) {}

  /** Starts listening (PostgreSQL only). Resolves once listening, or once the first attempt failed (it retries). */
  async start(): Promise<void> {
    if (this.config.database.kind !== 'postgres' || this.client || this.stopped) return;
    await this.connect(this.config.database.url);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    const client = this.client;
    this.client = undefined;
    if (client) this.retired.add(client);
    await client?.end().catch(() => undefined);
  }

  private async connect(url: string): Promise<void> {
    const client = new pg.Client({ connectionString: url, application_name: 'switchboard-session-ends', connectionTimeoutMillis: 5_000, keepAlive: true });
    client.on('notification', (message) => this.onNotification(message.payload));
    // A dropped connection surfaces here; without a listener it would crash the process.
    client.on('error', (error) => this.reconnectLater(client, url, error));
    client.on('end', () => this.reconnectLater(client, url));
    try {
      await client.connect();
      await client.query(`LISTEN ${sessionEndedChannel}`);
    } catch (error) {
      this.reconnectLater(client, url, error);
      return;
    }
    if (this.stopped) {
      this.retired.add(client);
      await client.end().catch(() => undefined);
      return;
    }
    this.client = client;
    this.retryMs = firstRetryMs;
    await this.abortTurnsOfEndedSessions();
  }

  private reconnectLater(client: pg.Client, url: string, error?: unknown): void {
    if (this.retired.has(client)) return;
    this.retired.add(client);
    if (this.client === client) this.client = undefined;
    void client.end().catch(() => undefined);
    if (this.stopped || this.retryTimer) return;
    logger.warn({ component: 'session-ends', err: error, retryInMs: this.retryMs }, 'the session-end listening connection failed; reconnecting');
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.connect(url);
    }, this.retryMs);
    this.retryTimer.unref();
    this.retryMs = Math.min(maxRetryMs, this.retryMs * 2);
  }

  private onNotification(payload: string | undefined): void {
    const ended = parsePayload(payload);
    if (!ended) {
      logger.warn({ component: 'session-ends', payload }, 'ignored a malformed session-end notification');
      return;
    }
    this.terminator.abortTurnOf(ended.session, ended.reason);
  }

  /** The turns running here whose sessions ended while no notification could arrive. */
  private async abortTurnsOfEndedSessions(): Promise<void> {
    const running = this.terminator.sessionsWithRunningTurns();
    if (running.length === 0) return;
    try {
      const ended = await this.database.inPlatform((tx) => new SessionRepository(tx).findTerminated(running));
      for (const session of ended) this.terminator.abortTurnOf(session.id, session.terminationReason);
    } catch (error) {
      logger.warn({ component: 'session-ends', err: error }, 'could not check the sessions of running turns after reconnecting');
    }
  }
}

function parsePayload(payload: string | undefined): { session: string; reason: TerminationReason } | undefined {
  try {
    const parsed = JSON.parse(payload ?? '') as { session?: unknown; reason?: unknown };
    if (typeof parsed.session !== 'string' || !terminationReasons.includes(parsed.reason as TerminationReason)) return undefined;
    return { session: parsed.session, reason: parsed.reason as TerminationReason };
  } catch {
    return undefined;
  }
}
