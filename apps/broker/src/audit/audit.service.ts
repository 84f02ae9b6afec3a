import { Injectable } from '@nestjs/common';
import type { Response } from 'express';
import { invalidRequest, type FieldProblem } from '#libs/errors';
import { Database, type Transaction } from '#libs/persistence';
import { drainedOrGone } from '../http/backpressure.js';
import { decodeCursor, encodeCursor, type Page } from '../http/pagination.js';
import { currentTenantPrincipal } from '../identity/principal.js';
import { checkpointSignature, type AuditCheckpoint } from './audit-checkpoint.js';
import { AuditCheckpointRepository } from './audit-checkpoint.repository.js';
import { AuditCheckpoints } from './audit-checkpoints.js';
import { AuditChainVerifier } from './audit-chain-verifier.js';
import { AuditEventRepository, type AuditFilter } from './audit-event.repository.js';
import { AuditKeyring, type CheckpointPublicJwk } from './audit-keyring.js';
import { BindingRepository } from './binding.repository.js';
import type { AuditEventQuery, AuditEventView, BindingQuery, BindingView, CheckpointQuery, ExportQuery, PlatformAuditQuery, VerifyView } from './audit.schemas.js';
import { toOcsfApiActivity } from './ocsf-mapper.js';

const exportBatchSize = 1000;
/**
 * Events per socket write: chunks stay well under glibc's mmap threshold, so
 * the buffers of a long export are reused instead of fragmenting the heap
 * (1,000-event writes made a 1M-event export grow RSS by ~400 MiB).
 */
const writeChunkEvents = 50;
export const productVersion = '0.1.0';

const seqCursor = (seq: number) => encodeCursor(String(seq));
const afterSeq = (cursor: string | undefined) => {
  const decoded = Number(decodeCursor(cursor) ?? 0);
  // A cursor this broker signed holds a seq; anything else was refused above.
  return Number.isSafeInteger(decoded) && decoded >= 0 ? decoded : 0;
};

/** The security team's view of the audit log (API.md §6): its own tenant only. */
@Injectable()
export class AuditService {
  constructor(
    private readonly database: Database,
    private readonly keyring: AuditKeyring,
    private readonly checkpoints: AuditCheckpoints,
  ) {}

  async events(query: AuditEventQuery): Promise<Page<AuditEventView>> {
    const { tenantId } = currentTenantPrincipal();
    return this.page(tenantId, query, (tx, filter) => new AuditEventRepository(tx).list(filter), (work) => this.database.inTenant(tenantId, work));
  }

  /**
   * The platform operator's view across every tenant (or one), in id order
   * (ids sort by time), for incident response that spans tenants.
   */
  async platformEvents(query: PlatformAuditQuery): Promise<Page<AuditEventView>> {
    const rows = await this.database.inPlatform((tx) =>
      new AuditEventRepository(tx).listAcrossTenants({
        tenantId: query.tenant,
        user: query.user,
        session: query.session,
        type: query.type,
        from: query.from,
        to: query.to,
        afterId: decodeCursor(query.cursor),
        limit: query.limit + 1,
      }),
    );
    const data = rows.slice(0, query.limit);
    return { data, nextCursor: rows.length > query.limit ? encodeCursor(data[data.length - 1].id) : null };
  }

  async bindings(query: BindingQuery): Promise<Page<BindingView>> {
    const { tenantId } = currentTenantPrincipal();
    const rows = await this.database.inTenant(tenantId, (tx) =>
      new BindingRepository(tx).list({ tenantId, ...query, afterId: decodeCursor(query.cursor), limit: query.limit + 1 }),
    );
    const data = rows.slice(0, query.limit);
    return {
      data,
      nextCursor: rows.length > query.limit ? encodeCursor(data[data.length - 1].session) : null,
    };
  }

  /**
   * Recomputes the tenant's whole chain, in batches (constant memory), and
   * holds it to every signed checkpoint: the stored ones, and `kept`, the
   * ones the caller kept outside the database, which a database writer
   * cannot have rewritten or deleted.
   */
  verify(kept: AuditCheckpoint[] = []): Promise<VerifyView> {
    return this.verifyTenant(currentTenantPrincipal().tenantId, kept);
  }

  /** {@link verify} for any tenant, outside a request (the reaper leader's periodic check: AuditVerification). */
  async verifyTenant(tenantId: string, kept: AuditCheckpoint[] = []): Promise<VerifyView> {
    const problems = kept.flatMap((checkpoint, index) => this.keptCheckpointProblems(tenantId, checkpoint, index));
    if (problems.length > 0) throw invalidRequest('the checkpoints given cannot be used', problems);
    const verifier = new AuditChainVerifier(this.keyring);
    verifier.expect(kept);
    let after = 0;
    for await (const batch of this.batches(tenantId, {})) {
      const last = batch[batch.length - 1].seq;
      this.expectStored(verifier, await this.storedCheckpoints(tenantId, after, last));
      for (const event of batch) if (!verifier.accept(event)) return verifier.finish(undefined);
      after = last;
    }
    this.expectStored(verifier, await this.storedCheckpoints(tenantId, after, undefined));
    const head = await this.database.inTenant(tenantId, (tx) => new AuditEventRepository(tx).head(tenantId));
    return verifier.finish(head);
  }

  /** The tenant's signed checkpoints, in seq order. */
  async listCheckpoints(query: CheckpointQuery): Promise<Page<AuditCheckpoint>> {
    const { tenantId } = currentTenantPrincipal();
    const rows = await this.database.inTenant(tenantId, (tx) =>
      new AuditCheckpointRepository(tx).list(tenantId, { afterSeq: afterSeq(query.cursor), limit: query.limit + 1 }),
    );
    const data = rows.slice(0, query.limit);
    return { data, nextCursor: rows.length > query.limit ? seqCursor(data[data.length - 1].seq) : null };
  }

  checkpointNow(): Promise<AuditCheckpoint> {
    return this.checkpoints.checkpointTenant(currentTenantPrincipal().tenantId);
  }

  checkpointKeys(): { keys: CheckpointPublicJwk[] } {
    return this.keyring.publicJwks();
  }

  /** A kept checkpoint must be this tenant's and carry a valid signature by a key this broker holds. */
  private keptCheckpointProblems(tenantId: string, checkpoint: AuditCheckpoint, index: number): FieldProblem[] {
    if (checkpoint.tenant !== tenantId) return [{ path: `checkpoints.${index}.tenant`, message: "is another tenant's checkpoint" }];
    switch (checkpointSignature(this.keyring, checkpoint)) {
      case 'valid':
        return [];
      case 'unknown_key':
        return [{ path: `checkpoints.${index}.keyId`, message: `"${checkpoint.keyId}" is not a key this broker holds, so its signature cannot be checked here` }];
      case 'invalid':
        return [{ path: `checkpoints.${index}.signature`, message: 'does not verify: the checkpoint is not as it was signed' }];
    }
  }

  /**
   * Stored checkpoints join the check when their signature verifies; one that
   * does not was forged or altered in the database. One signed with a key
   * this broker no longer holds cannot be told either way and is left out.
   */
  private expectStored(verifier: AuditChainVerifier, stored: AuditCheckpoint[]): void {
    for (const checkpoint of stored) {
      const signature = checkpointSignature(this.keyring, checkpoint);
      if (signature === 'valid') verifier.expect([checkpoint]);
      else if (signature === 'invalid') verifier.rejectCheckpoint(checkpoint.seq);
    }
  }

  /** Checkpoints with `afterSeq < seq <= throughSeq` (past the end: up to one batch of them). */
  private storedCheckpoints(tenantId: string, afterSeq: number, throughSeq: number | undefined): Promise<AuditCheckpoint[]> {
    return this.database.inTenant(tenantId, (tx) => new AuditCheckpointRepository(tx).list(tenantId, { afterSeq, throughSeq, limit: exportBatchSize }));
  }

  /**
   * Streams the tenant's events as JSON lines or OCSF, in batches, honouring
   * backpressure. With `checkpoints` (JSON lines), each signed checkpoint
   * follows the event it vouches for, as a line `{"checkpoint":{...}}`.
   */
  async export(query: ExportQuery, response: Response): Promise<void> {
    const { tenantId } = currentTenantPrincipal();
    response.status(200);
    response.setHeader('Content-Type', 'application/x-ndjson; charset=utf-8');
    response.setHeader('Content-Disposition', `attachment; filename="audit-${tenantId}.${query.format === 'ocsf' ? 'ocsf.jsonl' : 'jsonl'}"`);
    let aborted = false;
    response.once('close', () => (aborted = true));
    for await (const batch of this.batches(tenantId, { from: query.from, to: query.to })) {
      // One checkpoint at most per seq (the table's key).
      const checkpointAt = query.checkpoints
        ? new Map((await this.storedCheckpoints(tenantId, batch[0].seq - 1, batch[batch.length - 1].seq)).map((checkpoint) => [checkpoint.seq, checkpoint]))
        : undefined;
      for (let start = 0; start < batch.length; start += writeChunkEvents) {
        if (aborted) return;
        const lines = batch
          .slice(start, start + writeChunkEvents)
          .map((event) => {
            const line = `${JSON.stringify(query.format === 'ocsf' ? toOcsfApiActivity(event, { version: productVersion }) : event)}\n`;
            const checkpoint = checkpointAt?.get(event.seq);
            return checkpoint ? `${line}${JSON.stringify({ checkpoint })}\n` : line;
          })
          .join('');
        if (!response.write(lines)) await drainedOrGone(response);
      }
    }
    response.end();
  }

  private async *batches(tenantId: string, filter: Partial<AuditFilter>): AsyncIterable<AuditEventView[]> {
    let after = 0;
    for (;;) {
      const batch = await this.database.inTenant(tenantId, (tx) =>
        new AuditEventRepository(tx).list({ ...filter, tenantId, afterSeq: after, limit: exportBatchSize }),
      );
      if (batch.length === 0) return;
      yield batch;
      if (batch.length < exportBatchSize) return;
      after = batch[batch.length - 1].seq;
    }
  }

  private async page(
    tenantId: string,
    query: AuditEventQuery,
    read: (tx: Transaction, filter: AuditFilter) => Promise<AuditEventView[]>,
    inScope: <T>(work: (tx: Transaction) => Promise<T>) => Promise<T>,
  ): Promise<Page<AuditEventView>> {
    const rows = await inScope((tx) =>
      read(tx, { tenantId, user: query.user, session: query.session, type: query.type, from: query.from, to: query.to, afterSeq: afterSeq(query.cursor), limit: query.limit + 1 }),
    );
    const data = rows.slice(0, query.limit);
    return { data, nextCursor: rows.length > query.limit ? seqCursor(data[data.length - 1].seq) : null };
  }
}
