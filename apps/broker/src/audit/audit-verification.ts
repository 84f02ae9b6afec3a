import { Inject, Injectable } from '@nestjs/common';
import { Gauge } from 'prom-client';
import type { AppConfig } from '#libs/config';
import { Database } from '#libs/persistence';
import { appConfigToken } from '../app.tokens.js';
import { logger } from '../logging/logger.js';
import { Metrics } from '../metrics/metrics.js';
import { TenantRepository } from '../tenants/tenant.repository.js';
import { AuditService } from './audit.service.js';

/** Tenants read per listing while walking them all. */
const tenantPageSize = 200;

/**
 * The periodic check of every tenant's audit chain (on the reaper's leader,
 * once per SWITCHBOARD_AUDIT_VERIFY_INTERVAL_SECONDS), exactly what
 * `GET /v1/audit/verify` does for one tenant, so an edited or deleted event
 * raises an alert without anyone asking (deploy/prometheus/alerts.yml).
 * Its gauges are this replica's last check: a replica that never led has
 * a last-check time of 0, which the alert rules read as "no verdict".
 */
@Injectable()
export class AuditVerification {
  private nextRunAt = 0;
  private readonly verified: Gauge;
  private readonly failedChains: Gauge;
  private readonly lastCheck: Gauge;

  constructor(
    private readonly database: Database,
    private readonly audit: AuditService,
    metrics: Metrics,
    @Inject(appConfigToken) private readonly config: AppConfig,
  ) {
    const registers = [metrics.registry];
    this.verified = new Gauge({ name: 'switchboard_audit_chain_verified', help: "1 when this replica's last check found every tenant's audit chain intact, 0 when one failed", registers });
    this.failedChains = new Gauge({ name: 'switchboard_audit_chains_failed', help: "Tenants whose audit chain failed this replica's last check", registers });
    this.lastCheck = new Gauge({
      name: 'switchboard_audit_verification_last_check_timestamp_seconds',
      help: "When this replica last finished checking every tenant's audit chain (Unix seconds; 0: never)",
      registers,
    });
  }

  /** The reaper's step: at most once per interval (0: never). Returns how many chains were checked. */
  async sweep(stopped: () => boolean): Promise<number> {
    const intervalMs = this.config.audit.verifyIntervalMs;
    if (intervalMs === 0 || Date.now() < this.nextRunAt) return 0;
    this.nextRunAt = Date.now() + intervalMs;
    return this.verifyAll(stopped);
  }

  /** Checks every tenant's chain now, and publishes the verdict (unless stopped part way: a partial walk proves nothing). */
  async verifyAll(stopped: () => boolean = () => false): Promise<number> {
    let checked = 0;
    const failed: Array<{ tenant: string; firstBadSeq: number | null; reason: string | null }> = [];
    let after: string | null = null;
    for (;;) {
      const tenants = await this.database.inPlatform((tx) => new TenantRepository(tx).listAfter(after, tenantPageSize));
      for (const tenant of tenants) {
        if (stopped()) return checked;
        const verdict = await this.audit.verifyTenant(tenant.id);
        checked++;
        if (!verdict.ok) failed.push({ tenant: tenant.id, firstBadSeq: verdict.firstBadSeq, reason: verdict.reason });
      }
      if (tenants.length < tenantPageSize) break;
      after = tenants[tenants.length - 1].id;
    }
    for (const failure of failed) logger.error({ component: 'audit', ...failure }, 'audit chain verification failed (see GET /v1/audit/verify)');
    this.verified.set(failed.length === 0 ? 1 : 0);
    this.failedChains.set(failed.length);
    this.lastCheck.set(Date.now() / 1000);
    return checked;
  }
}
