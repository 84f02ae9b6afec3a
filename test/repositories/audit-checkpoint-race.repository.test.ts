import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AuditCheckpoint } from '../../apps/broker/src/audit/audit-checkpoint.js';
import { AuditCheckpointRepository } from '../../apps/broker/src/audit/audit-checkpoint.repository.js';
import { openRepositoryDatabase } from '../support/repository-database.js';

/**
 * An on-demand checkpoint and the periodic sweep signing the same head at
 * once (CI saw it: POST /v1/audit/checkpoints answered 500). The second
 * insert waits for the first to commit and inserts nothing; the stored
 * checkpoint must still come back. Two transactions at once: PostgreSQL
 * only (the embedded database has one connection).
 */
let repository: Awaited<ReturnType<typeof openRepositoryDatabase>>;
before(async () => {
  if (process.env.DATABASE_URL) repository = await openRepositoryDatabase();
});
after(() => repository?.close());

test('a checkpoint inserted by a concurrent transaction is returned as stored, not lost', { skip: !process.env.DATABASE_URL && 'needs PostgreSQL (DATABASE_URL)' }, async () => {
  const tenantId = await repository.newTenant();
  const checkpoint = (keyId: string): AuditCheckpoint => ({ tenant: tenantId, seq: 1, hash: 'a'.repeat(64), at: new Date().toISOString(), keyId, signature: `signed-by-${keyId}` });
  let releaseFirst!: () => void;
  const firstMayCommit = new Promise<void>((resolve) => (releaseFirst = resolve));
  let firstInserted!: () => void;
  const firstHasInserted = new Promise<void>((resolve) => (firstInserted = resolve));
  const first = repository.database.inPlatform(async (tx) => {
    const [stored] = await new AuditCheckpointRepository(tx).insert([checkpoint('first')]);
    firstInserted();
    await firstMayCommit;
    return stored;
  });
  await firstHasInserted;
  const second = repository.database.inPlatform(async (tx) => (await new AuditCheckpointRepository(tx).insert([checkpoint('second')]))[0]);
  // The second insert now waits on the first's row; let the first commit.
  await new Promise((resolve) => setTimeout(resolve, 200));
  releaseFirst();
  const [won, lost] = await Promise.all([first, second]);
  assert.equal(won.inserted, true);
  assert.equal(lost.inserted, false);
  assert.equal(lost.checkpoint.keyId, 'first', 'the stored checkpoint, as the first transaction wrote it');
});
