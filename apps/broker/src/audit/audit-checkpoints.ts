import { conflict, notFound } from '#libs/errors';
import type { Database } from '#libs/persistence';
import { logger } from '../logging/logger.js';
import { signCheckpoint, type AuditCheckpoint } from './audit-checkpoint.js';
import { AuditCheckpointRepository, type CheckpointableHead } from './audit-checkpoint.repository.js';
import type { AuditKeyring } from './audit-keyring.js';

/** Heads one sweep transaction signs at most; a sweep goes on in further batches. */
const sweepBatchSize = 100;

/**
 * Makes checkpoints: on demand for one tenant, periodically (on the
 * reaper's leader) for every tenant whose chain head moved, and once for
 * the legacy chains when the keyed-chain migration is applied. Each one is
 * stored and written to the log as `auditCheckpoint`, a line consumers ship
 * off the machine (README: Audit integrity).
 */
export class AuditCheckpoints {
  private nextSweepAt = 0;

  constructor(
    private readonly database: Database,
    private readonly keyring: AuditKeyring,
    private readonly intervalMs: number,
  ) {}

  /**
   * A checkpoint of the tenant's head: the one already stored at that seq,
   * or a new one. Refused for a head behind a stored checkpoint (the chain
   * lost events) and for a legacy head (an unkeyed event): signing it would
   * vouch for whatever the database holds now, rewritten or not.
   */
  async checkpointTenant(tenantId: string): Promise<AuditCheckpoint> {
    const { checkpoint, inserted } = await this.database.inTenant(tenantId, async (manager) => {
      const checkpoints = new AuditCheckpointRepository(manager);
      const head = await checkpoints.head(tenantId);
      if (!head) throw notFound('audit chain');
      const [atOrPast] = await checkpoints.list(tenantId, { afterSeq: head.seq - 1, limit: 1 });
      if (atOrPast?.seq === head.seq) return { checkpoint: atOrPast, inserted: false };
      if (atOrPast) {
        throw conflict('chain_behind_checkpoint', `the audit chain ends at seq ${head.seq}, before the checkpoint signed at seq ${atOrPast.seq}: events were removed (see GET /v1/audit/verify)`);
      }
      if (!head.keyed) {
        throw conflict('legacy_head', `the newest audit event (seq ${head.seq}) carries the legacy unkeyed hash; legacy chains are anchored when the keyed-chain migration is applied, not on request`);
      }
      const [stored] = await checkpoints.insert([signCheckpoint(this.keyring.current, head, new Date())]);
      return stored;
    });
    if (inserted) logCheckpoint(checkpoint);
    return checkpoint;
  }

  /**
   * The periodic step (see Reaper): at most once per interval, a checkpoint
   * of every keyed head that moved since its last one. Returns how many.
   */
  async sweep(stopped: () => boolean): Promise<number> {
    if (this.intervalMs === 0 || Date.now() < this.nextSweepAt) return 0;
    this.nextSweepAt = Date.now() + this.intervalMs;
    return this.signMovedHeads(stopped);
  }

  /** A checkpoint of every keyed head that moved since its last one, now. Returns how many. */
  signMovedHeads(stopped: () => boolean = () => false): Promise<number> {
    return this.checkpointMovedHeads(true, stopped);
  }

  /**
   * Right after the keyed-chain migration, by the process that applied it:
   * anchors every legacy chain as it stands at the upgrade. Verification
   * accepts legacy events only up to such an anchor, so a chain rewritten
   * later with the unkeyed formula is never anchored by the broker.
   */
  anchorLegacyChains(): Promise<number> {
    return this.checkpointMovedHeads(false, () => false);
  }

  private async checkpointMovedHeads(keyed: boolean, stopped: () => boolean): Promise<number> {
    let count = 0;
    let afterTenant = '';
    while (!stopped()) {
      const written = await this.database.inPlatform(async (manager) => {
        const checkpoints = new AuditCheckpointRepository(manager);
        const heads = await checkpoints.movedHeads({ keyed, afterTenant, limit: sweepBatchSize });
        const at = new Date();
        const stored = heads.length === 0 ? [] : await checkpoints.insert(heads.map((head: CheckpointableHead) => signCheckpoint(this.keyring.current, head, at)));
        return { heads, signed: stored.filter((entry) => entry.inserted).map((entry) => entry.checkpoint) };
      });
      written.signed.forEach(logCheckpoint);
      count += written.signed.length;
      if (written.heads.length < sweepBatchSize) break;
      afterTenant = written.heads[written.heads.length - 1].tenant;
    }
    return count;
  }
}

/** The log line consumers keep: the whole signed checkpoint, nothing secret. */
function logCheckpoint(checkpoint: AuditCheckpoint): void {
  logger.info({ component: 'audit', tenant: checkpoint.tenant, auditCheckpoint: checkpoint }, 'audit checkpoint');
}
