import { Injectable } from '@nestjs/common';
import { Database } from '#libs/persistence';
import { logger } from '../logging/logger.js';
import { TranscriptRepository } from './transcript.repository.js';

/** How often the reaper's leader purges (API.md §5: "purged daily"). */
export const retentionIntervalMs = 24 * 60 * 60 * 1000;
/** Events (and turns) one transaction purges at most; a tenant's backlog goes in several. */
const purgeBatch = 5000;
const dayMs = 24 * 60 * 60 * 1000;

/**
 * The `transcriptRetentionDays` policy (API.md §5): transcript content older
 * than a tenant's retention is purged, once a day, by the reaper's leader
 * (see Reaper). Tenants without the field (or with null) keep everything.
 * Only the tenant policy counts: retention is the tenant's, not a user's.
 */
@Injectable()
export class TranscriptRetention {
  private nextSweepAt = 0;

  constructor(private readonly database: Database) {}

  /** The periodic step: at most once per {@link retentionIntervalMs}. Returns the events and turns purged. */
  async sweep(stopped: () => boolean): Promise<number> {
    if (Date.now() < this.nextSweepAt) return 0;
    this.nextSweepAt = Date.now() + retentionIntervalMs;
    return this.purgeExpired(stopped);
  }

  /** Purges now, whatever the interval: every tenant's content older than its retention. */
  async purgeExpired(stopped: () => boolean = () => false, now = new Date()): Promise<number> {
    const tenants = await this.database.inPlatform((tx) =>
      tx.rows<{ tenant_id: string; days: number }>(
        `SELECT tenant_id, (policy->>'transcriptRetentionDays')::int AS days FROM tenant_limits
         WHERE jsonb_typeof(policy->'transcriptRetentionDays') = 'number' ORDER BY tenant_id`,
      ),
    );
    let purged = 0;
    for (const { tenant_id: tenantId, days } of tenants) {
      const before = new Date(now.getTime() - days * dayMs);
      for (;;) {
        if (stopped()) return purged;
        const batch = await this.database.inTenant(tenantId, (tx) => new TranscriptRepository(tx).purgeOlderThan(tenantId, before, purgeBatch));
        purged += batch.events + batch.turns;
        if (batch.events > 0 || batch.turns > 0) logger.info({ component: 'retention', tenant: tenantId, ...batch, before: before.toISOString() }, 'retention: transcript content purged');
        if (batch.events < purgeBatch && batch.turns < purgeBatch) break;
      }
    }
    return purged;
  }
}
