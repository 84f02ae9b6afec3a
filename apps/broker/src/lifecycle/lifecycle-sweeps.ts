import { Inject, Injectable } from '@nestjs/common';
import type { AppConfig } from '#libs/config';
import { Database } from '#libs/persistence';
import { appConfigToken } from '../app.tokens.js';
import { logger } from '../logging/logger.js';
import { ProviderCalls } from '../runtimes/provider-calls.js';
import { RuntimeRegistry } from '../runtimes/runtime-registry.js';
import { bindingOf, handleOf } from '../sessions/session-binding.js';
import { SessionTerminator } from '../sessions/session-terminator.js';
import { SessionRepository, type Session } from '../sessions/session.repository.js';
import { forEachBounded, RollingCursor } from './bounded.js';
import {
  lifecycleThresholds,
  orphanSearchGiveUpMs,
  providerCallConcurrency,
  statusCheckBatchSize,
  statusRecheckIntervalMs,
  stopRetryIntervalMs,
  stopRetryWindowMs,
  sweepBatchSize,
  type LifecycleThresholds,
} from './lifecycle-settings.js';
import { LifecycleRepository, type SessionRef } from './lifecycle.repository.js';
import { TurnAbandonment } from './turn-abandonment.js';

/** Asked between items: true once the broker is shutting down. */
export type Stopped = () => boolean;

/**
 * The reaper's work, one bounded step at a time; each returns how many
 * sessions it acted on. Reads span every tenant (platform scope); every
 * change goes through the session's own tenant: terminations through
 * `SessionTerminator` (database first, audited, then the provider stop).
 * A step that fails for one session logs it and moves on; the session is
 * still due at the next sweep.
 */
@Injectable()
export class LifecycleSweeps {
  readonly thresholds: LifecycleThresholds;
  private readonly databaseKind: AppConfig['database']['kind'];
  private readonly statusCursor = new RollingCursor(statusRecheckIntervalMs);
  private readonly stopCursor = new RollingCursor(stopRetryIntervalMs);

  constructor(
    private readonly database: Database,
    private readonly registry: RuntimeRegistry,
    private readonly calls: ProviderCalls,
    private readonly terminator: SessionTerminator,
    private readonly abandonment: TurnAbandonment,
    @Inject(appConfigToken) config: AppConfig,
  ) {
    this.thresholds = lifecycleThresholds(config);
    this.databaseKind = config.database.kind;
  }

  /**
   * Rate windows of past minutes: only the current minute's is ever read, and
   * with platform rate limits on by default every active user writes one
   * row per kind a minute, so without this the table only grows.
   */
  async pruneRateWindows(): Promise<number> {
    return this.database.inPlatform((tx) => new LifecycleRepository(tx).pruneRateWindowsBefore('1 minute'));
  }

  /**
   * Turns still running past the lost-turn threshold, whose replica died
   * mid-turn, whatever their session's state (it may have been terminated
   * since): failed `broker_lost_turn`, claim released, listeners told.
   */
  async closeLostTurns(stopped: Stopped): Promise<number> {
    const claims = await this.read((lifecycle) => lifecycle.findLostTurns(this.thresholds.turnLostAfterMs, sweepBatchSize));
    return this.each('lost_turn', claims, stopped, (claim) => this.abandonment.close(claim, this.thresholds.turnLostAfterMs));
  }

  /** Sessions past their idle deadline or lifetime: `idle_timeout` / `max_lifetime`, stopped at the provider. */
  async endExpired(stopped: Stopped): Promise<number> {
    const expired = await this.read((lifecycle) => lifecycle.findExpired(sweepBatchSize));
    return this.each('expiry', expired, stopped, async (session) => {
      await this.terminator.terminate(session.tenantId, session.id, session.reason);
      return true;
    });
  }

  /**
   * Sessions stuck in `provisioning` (their replica died between the
   * database write and recording the provider's answer): a provider session
   * the adapter finds for the binding is recorded, then the termination
   * (`error`) stops it like any other. If the search fails the session
   * waits for the next sweep, up to {@link orphanSearchGiveUpMs}.
   */
  async endStuckProvisioning(stopped: Stopped): Promise<number> {
    const stuck = await this.read((lifecycle) => lifecycle.findStuckProvisioning(this.thresholds.provisioningStuckAfterMs, sweepBatchSize));
    return this.each('stuck_provisioning', stuck, stopped, async (ref) => {
      const session = await this.load(ref);
      if (session?.status !== 'provisioning') return false;
      const adapter = this.registry.get(session.provider);
      const searchable = adapter?.findOrphan !== undefined && Date.now() - session.createdAt.getTime() < orphanSearchGiveUpMs;
      const orphan = searchable
        ? await this.calls.call('provider.findOrphan', attributesOf(session), () => adapter.findOrphan!(bindingOf(session)))
        : undefined;
      if (orphan) await this.database.inTenant(ref.tenantId, (tx) => new LifecycleRepository(tx).recordOrphan(ref.id, orphan));
      await this.terminator.terminate(ref.tenantId, ref.id, 'error', {
        stage: 'provisioning',
        code: 'broker_lost_provisioning',
        providerSessionFound: orphan !== undefined,
        ...(searchable ? {} : { orphanSearch: 'skipped' }),
      });
      return true;
    });
  }

  /**
   * Idle sessions whose provider says they are gone (adapters with
   * `getSessionStatus`): `provider`. A rolling scan, each session at most
   * once per {@link statusRecheckIntervalMs}, a batch per sweep.
   *
   * An emulated runtime is asked only on the embedded database: its
   * sessions exist in the emulator of the process that opened them, which
   * on PostgreSQL may be another replica's, and this process's emulator
   * would call them gone.
   */
  async checkProviderStatus(stopped: Stopped): Promise<number> {
    const providers = this.registry.ids().filter((id) => {
      const adapter = this.registry.get(id);
      return adapter?.getSessionStatus !== undefined && (adapter.descriptor.mode === 'live' || this.databaseKind === 'embedded');
    });
    const after = this.statusCursor.position();
    if (providers.length === 0 || after === undefined) return 0;
    const batch = await this.read((lifecycle) => lifecycle.findIdleOnProviders(providers, after, statusCheckBatchSize));
    this.statusCursor.advance(batch, statusCheckBatchSize);
    return this.each('provider_status', batch, stopped, async (ref) => {
      const session = await this.load(ref);
      const adapter = session && this.registry.get(session.provider);
      if (session?.status !== 'idle' || !session.providerSessionId || !adapter?.getSessionStatus) return false;
      const status = await this.calls.call('provider.getSessionStatus', attributesOf(session), () => adapter.getSessionStatus!(handleOf(session)));
      if (status !== 'gone') return false;
      await this.terminator.terminate(ref.tenantId, ref.id, 'provider');
      return true;
    });
  }

  /** Terminated sessions whose provider stop failed: stopped again (a rolling scan; stops are idempotent). */
  async retryProviderStops(stopped: Stopped): Promise<number> {
    const after = this.stopCursor.position();
    if (after === undefined) return 0;
    const window = { settleMs: this.thresholds.stopRetryAfterMs, windowMs: stopRetryWindowMs };
    const batch = await this.read((lifecycle) => lifecycle.findUnstopped(this.registry.ids(), window, after, sweepBatchSize));
    this.stopCursor.advance(batch, sweepBatchSize);
    return this.each('provider_stop', batch, stopped, async (ref) => {
      const session = await this.load(ref);
      if (!session || session.providerStoppedAt) return false;
      await this.terminator.stopAtProvider(session);
      return true;
    });
  }

  private read<T>(query: (lifecycle: LifecycleRepository) => Promise<T>): Promise<T> {
    return this.database.inPlatform((tx) => query(new LifecycleRepository(tx)));
  }

  private load(ref: SessionRef): Promise<Session | undefined> {
    return this.database.inTenant(ref.tenantId, (tx) => new SessionRepository(tx).findById(ref.id));
  }

  /** Runs `act` for each session (bounded concurrency); counts the ones it acted on, logs the ones it failed on. */
  private async each<T extends SessionRef>(step: string, refs: T[], stopped: Stopped, act: (ref: T) => Promise<boolean>): Promise<number> {
    let acted = 0;
    await forEachBounded(
      refs,
      providerCallConcurrency,
      async (ref) => {
        try {
          if (await act(ref)) acted++;
        } catch (error) {
          logger.warn({ component: 'reaper', step, sessionId: ref.id, tenant: ref.tenantId, err: error }, `reaper: ${step} failed for a session; it stays due`);
        }
      },
      stopped,
    );
    return acted;
  }
}

const attributesOf = (session: Session) => ({
  'switchboard.provider': session.provider,
  'switchboard.session': session.id,
  'switchboard.tenant': session.tenantId,
  'switchboard.reaper': true,
});
