import { Inject, Injectable } from '@nestjs/common';
import { Counter, Gauge } from 'prom-client';
import type { AppConfig } from '#libs/config';
import { appConfigToken } from '../app.tokens.js';
import { AuditCheckpoints } from '../audit/audit-checkpoints.js';
import { AuditVerification } from '../audit/audit-verification.js';
import { TranscriptRetention } from '../erasure/transcript-retention.js';
import { logger } from '../logging/logger.js';
import { Metrics } from '../metrics/metrics.js';
import { sweepIntervalMs } from './lifecycle-settings.js';
import { LifecycleSweeps, type Stopped } from './lifecycle-sweeps.js';
import { leadershipFor, type ReaperLeadership } from './reaper-leadership.js';

export type SweepStep =
  | 'lost_turns'
  | 'expired'
  | 'stuck_provisioning'
  | 'provider_status'
  | 'provider_stops'
  | 'audit_checkpoints'
  | 'audit_verification'
  | 'rate_windows'
  | 'transcript_retention';
export type SweepReport = Record<SweepStep, number>;

/**
 * The session lifecycle's one background job, run by exactly one replica.
 *
 * Every {@link sweepIntervalMs} each replica checks the lead (a PostgreSQL
 * advisory lock; see reaper-leadership.ts), which doubles as the lock
 * connection's heartbeat; the leader then sweeps, unless its previous sweep
 * is still running. A sweep, in order: closes turns lost with their replica
 * (before anything ends their sessions), ends expired sessions, ends
 * sessions stuck in `provisioning` (stopping what the provider holds for
 * them), ends sessions the provider lost, and retries failed provider stops;
 * once per their intervals, signs audit checkpoints and verifies every
 * tenant's audit chain; and once a day purges transcript content past each
 * tenant's retention.
 */
@Injectable()
export class Reaper {
  private leadership: ReaperLeadership | undefined;
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  private sweeping: Promise<unknown> | undefined;
  private stopping = false;
  private readonly leader: Gauge;
  private readonly actions: Counter<'step'>;
  private readonly steps: Array<[SweepStep, (stopped: Stopped) => Promise<number>]>;

  constructor(
    private readonly sweeps: LifecycleSweeps,
    checkpoints: AuditCheckpoints,
    verification: AuditVerification,
    retention: TranscriptRetention,
    metrics: Metrics,
    @Inject(appConfigToken) private readonly config: AppConfig,
  ) {
    this.leader = new Gauge({ name: 'switchboard_reaper_leader', help: '1 while this replica leads the lifecycle sweeps', registers: [metrics.registry] });
    this.actions = new Counter({
      name: 'switchboard_reaper_actions_total',
      help: 'Sessions the reaper acted on (audit_checkpoints: checkpoints signed; audit_verification: tenant chains checked; rate_windows: past rate windows deleted; transcript_retention: events and turns purged), by sweep step',
      labelNames: ['step'],
      registers: [metrics.registry],
    });
    this.steps = [
      ['lost_turns', (stopped) => sweeps.closeLostTurns(stopped)],
      ['expired', (stopped) => sweeps.endExpired(stopped)],
      ['stuck_provisioning', (stopped) => sweeps.endStuckProvisioning(stopped)],
      ['provider_status', (stopped) => sweeps.checkProviderStatus(stopped)],
      ['provider_stops', (stopped) => sweeps.retryProviderStops(stopped)],
      // Not the lifecycle's, but periodic work done once across replicas too (its own, slower interval).
      ['audit_checkpoints', (stopped) => checkpoints.sweep(stopped)],
      ['audit_verification', (stopped) => verification.sweep(stopped)],
      ['rate_windows', () => sweeps.pruneRateWindows()],
      // Once a day: transcript content past each tenant's transcriptRetentionDays.
      ['transcript_retention', (stopped) => retention.sweep(stopped)],
    ];
  }

  /** Starts checking the lead (at once, then every interval). Call once the broker serves requests. */
  start(): void {
    if (this.leadership || this.stopping) return;
    this.leadership = leadershipFor(this.config.database);
    this.schedule(0);
  }

  /** Stops sweeping, waits for a sweep in progress (it ends early), and gives up the lead. Before the database closes. */
  async stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.timer);
    await this.ticking;
    await this.sweeping;
    await this.leadership?.release();
    this.leader.set(0);
  }

  /** One full sweep, leader or not: what the timer runs on the leader, and what tests call directly. */
  async sweepOnce(): Promise<SweepReport> {
    const stopped = () => this.stopping;
    const report = {
      lost_turns: 0,
      expired: 0,
      stuck_provisioning: 0,
      provider_status: 0,
      provider_stops: 0,
      audit_checkpoints: 0,
      audit_verification: 0,
      rate_windows: 0,
      transcript_retention: 0,
    };
    for (const [step, run] of this.steps) {
      if (stopped()) break;
      try {
        report[step] = await run(stopped);
      } catch (error) {
        logger.error({ component: 'reaper', step, err: error }, `reaper: the ${step} step failed`);
      }
      if (report[step] > 0) this.actions.inc({ step }, report[step]);
    }
    if (Object.values(report).some((count) => count > 0)) logger.info({ component: 'reaper', ...report }, 'reaper: sweep done');
    return report;
  }

  private schedule(delayMs: number): void {
    if (this.stopping) return;
    this.timer = setTimeout(() => {
      this.ticking = this.tick().finally(() => (this.ticking = undefined));
    }, delayMs);
    // The HTTP server keeps a broker alive; this timer alone must not.
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    const leads = await this.leadership!.check();
    this.leader.set(leads ? 1 : 0);
    if (leads && !this.sweeping && !this.stopping) {
      this.sweeping = this.sweepOnce()
        .catch((error: unknown) => logger.error({ component: 'reaper', err: error }, 'reaper: sweep failed'))
        .finally(() => (this.sweeping = undefined));
    }
    this.schedule(sweepIntervalMs);
  }
}
