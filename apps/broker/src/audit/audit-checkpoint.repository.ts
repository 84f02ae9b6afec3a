import type { Transaction } from '#libs/persistence';
import type { AuditCheckpoint } from './audit-checkpoint.js';

interface CheckpointRow {
  tenant_id: string;
  seq: string;
  hash: string;
  at: Date;
  key_id: string;
  signature: string;
}

/** A chain head as it can be checkpointed: the newest event's seq and hash, and whether its hash is keyed. */
export interface CheckpointableHead {
  tenant: string;
  seq: number;
  hash: string;
  keyed: boolean;
}

const columns = 'tenant_id, seq, hash, at, key_id, signature';

const toCheckpoint = (row: CheckpointRow): AuditCheckpoint => ({
  tenant: row.tenant_id,
  seq: Number(row.seq),
  hash: row.hash,
  at: row.at.toISOString(),
  keyId: row.key_id,
  signature: row.signature,
});

/**
 * The newest event of each head, joined on its row: what a checkpoint
 * vouches for is the stored event, the one verification compares with.
 * A head is "moved" while no checkpoint sits at or past it (a head moved
 * back below a checkpoint is never signed again).
 */
const headsSql = (where: string) => `
  SELECT e.tenant_id, e.seq, e.hash, e.key_id IS NOT NULL AS keyed
  FROM audit_chain_heads h JOIN audit_events e ON e.tenant_id = h.tenant_id AND e.seq = h.last_seq
  WHERE ${where}`;
const notCheckpointed = `NOT EXISTS (SELECT 1 FROM audit_checkpoints c WHERE c.tenant_id = h.tenant_id AND c.seq >= h.last_seq)`;

const toHead = (row: { tenant_id: string; seq: string; hash: string; keyed: boolean }): CheckpointableHead => ({
  tenant: row.tenant_id,
  seq: Number(row.seq),
  hash: row.hash,
  keyed: row.keyed,
});

/** Audit checkpoints and the chain heads they are made of. Append-only, like the events. */
export class AuditCheckpointRepository {
  constructor(private readonly tx: Transaction) {}

  async head(tenantId: string): Promise<CheckpointableHead | undefined> {
    const rows = await this.tx.rows<Parameters<typeof toHead>[0]>(headsSql('h.tenant_id = $1'), [tenantId]);
    return rows[0] && toHead(rows[0]);
  }

  /** Heads (of every tenant: platform scope) that moved since their last checkpoint, in tenant order after `afterTenant`. */
  async movedHeads(options: { keyed: boolean; afterTenant: string; limit: number }): Promise<CheckpointableHead[]> {
    const rows = await this.tx.rows<Parameters<typeof toHead>[0]>(
      `${headsSql(`h.tenant_id > $1 AND (e.key_id IS NOT NULL) = $2 AND ${notCheckpointed}`)} ORDER BY h.tenant_id LIMIT $3`,
      [options.afterTenant, options.keyed, options.limit],
    );
    return rows.map(toHead);
  }

  /**
   * Stores checkpoints; where one is already stored at a (tenant, seq) (a
   * replica or a request got there first), that one is kept. Returns the
   * stored ones in input order, each saying whether it was this call's.
   */
  async insert(checkpoints: AuditCheckpoint[]): Promise<Array<{ checkpoint: AuditCheckpoint; inserted: boolean }>> {
    const rows = await this.tx.rows<CheckpointRow & { inserted: boolean }>(
      `WITH given AS (
         SELECT * FROM jsonb_to_recordset($1::jsonb) AS g(tenant text, seq bigint, hash text, at timestamptz, "keyId" text, signature text)
       ), inserted AS (
         INSERT INTO audit_checkpoints (${columns}) SELECT tenant, seq, hash, at, "keyId", signature FROM given
         ON CONFLICT (tenant_id, seq) DO NOTHING
         RETURNING ${columns}
       )
       SELECT ${columns}, true AS inserted FROM inserted
       UNION ALL
       SELECT ${columns.split(', ').map((column) => `c.${column}`).join(', ')}, false FROM audit_checkpoints c JOIN given g ON c.tenant_id = g.tenant AND c.seq = g.seq`,
      [JSON.stringify(checkpoints)],
    );
    const stored = new Map(rows.map((row) => [`${row.tenant_id}/${row.seq}`, { checkpoint: toCheckpoint(row), inserted: row.inserted }]));
    // A checkpoint another transaction inserted meanwhile (an on-demand one and the sweep signing the same head):
    // ON CONFLICT waited for it to commit, but the statement's snapshot is older and does not see it. A statement
    // of its own, with a fresh snapshot, does.
    const unseen = checkpoints.filter((checkpoint) => !stored.has(`${checkpoint.tenant}/${checkpoint.seq}`));
    if (unseen.length > 0) {
      const raced = await this.tx.rows<CheckpointRow>(
        `SELECT ${columns} FROM audit_checkpoints WHERE (tenant_id, seq) IN (SELECT t, s FROM unnest($1::text[], $2::bigint[]) AS u(t, s))`,
        [unseen.map((checkpoint) => checkpoint.tenant), unseen.map((checkpoint) => checkpoint.seq)],
      );
      for (const row of raced) stored.set(`${row.tenant_id}/${row.seq}`, { checkpoint: toCheckpoint(row), inserted: false });
    }
    return checkpoints.map((checkpoint) => {
      const entry = stored.get(`${checkpoint.tenant}/${checkpoint.seq}`);
      if (!entry) throw new Error(`audit checkpoint ${checkpoint.tenant}/${checkpoint.seq} was neither stored nor found`);
      return entry;
    });
  }

  /** The tenant's checkpoints with `afterSeq < seq <= throughSeq` (no upper bound when null), in seq order. */
  async list(tenantId: string, range: { afterSeq: number; throughSeq?: number; limit: number }): Promise<AuditCheckpoint[]> {
    const rows = await this.tx.rows<CheckpointRow>(
      `SELECT ${columns} FROM audit_checkpoints WHERE tenant_id = $1 AND seq > $2 AND ($3::bigint IS NULL OR seq <= $3) ORDER BY seq LIMIT $4`,
      [tenantId, range.afterSeq, range.throughSeq ?? null, range.limit],
    );
    return rows.map(toCheckpoint);
  }
}
