import type { Database, Transaction } from '#libs/persistence';
import { createHash } from 'node:crypto';
import { canonicalJson } from '../../apps/broker/src/audit/canonical-json.js';
import { asSuperuser } from './superuser.js';

interface EventRow {
  tenant_id: string;
  seq: string;
  id: string;
  at: Date;
  type: string;
  user_id: string | null;
  actor_kind: string;
  actor_id: string | null;
  session_id: string | null;
  provider: string | null;
  provider_session_id: string | null;
  request_id: string | null;
  detail: Record<string, unknown>;
  http: Record<string, unknown> | null;
  prev_hash: string;
  hash: string;
}

/**
 * Someone who can write the database (superuser, triggers off) but does not
 * hold the audit key: the only chain formula they can compute is the
 * unkeyed one, `SHA-256(prevHash ‖ canonical JSON of the event)`.
 */
export class DatabaseAttacker {
  constructor(private readonly database: Database) {}

  /** Edits event `seq`, re-chains it and every later event, and moves the head onto the new last hash. */
  async rewriteFrom(tenantId: string, seq: number, edit: (event: EventRow) => void, options: { markUnkeyed?: boolean } = {}): Promise<void> {
    await this.tamper(async (tx) => {
      // The constraint that only keyed rows are written is the owner's; a superuser lifts it for the rewrite.
      const [constrained] = await tx.rows<unknown>(`SELECT 1 FROM pg_constraint WHERE conname = 'audit_events_keyed'`);
      if (constrained) await tx.rows(`ALTER TABLE audit_events DROP CONSTRAINT audit_events_keyed`);
      const events = await tx.rows<EventRow>(`SELECT * FROM audit_events WHERE tenant_id = $1 ORDER BY seq`, [tenantId]);
      let previous = seq === 1 ? '0'.repeat(64) : events[seq - 2].hash;
      for (const event of events.slice(seq - 1)) {
        if (Number(event.seq) === seq) edit(event);
        // Events of the version before the keyed chain carried no HTTP origin either.
        if (options.markUnkeyed) event.http = null;
        const hash = unkeyedHash(event, previous);
        await tx.rows(
          `UPDATE audit_events SET detail = $3, prev_hash = $4, hash = $5 ${options.markUnkeyed ? ', key_id = NULL, http = NULL' : ''} WHERE tenant_id = $1 AND seq = $2`,
          [tenantId, event.seq, JSON.stringify(event.detail), previous, hash],
        );
        previous = hash;
      }
      await tx.rows(`UPDATE audit_chain_heads SET last_hash = $2 WHERE tenant_id = $1`, [tenantId, previous]);
      if (constrained) await tx.rows(`ALTER TABLE audit_events ADD CONSTRAINT audit_events_keyed CHECK (key_id IS NOT NULL) NOT VALID`);
    });
  }

  /** Deletes the events after `keepThroughSeq` and moves the head back onto the last one kept: a consistent, shorter chain. */
  async truncateAfter(tenantId: string, keepThroughSeq: number): Promise<void> {
    await this.tamper(async (tx) => {
      await tx.rows(`DELETE FROM audit_events WHERE tenant_id = $1 AND seq > $2`, [tenantId, keepThroughSeq]);
      await tx.rows(
        `UPDATE audit_chain_heads h SET last_seq = e.seq, last_hash = e.hash, last_at = e.at FROM audit_events e
         WHERE h.tenant_id = $1 AND e.tenant_id = $1 AND e.seq = $2`,
        [tenantId, keepThroughSeq],
      );
    });
  }

  /** Any statement, with the append-only triggers off: an edit the broker did not make. */
  async edit(sql: string, parameters: unknown[] = []): Promise<void> {
    await this.tamper((tx) => tx.rows(sql, parameters));
  }

  async deleteCheckpoints(tenantId: string): Promise<void> {
    await this.tamper((tx) => tx.rows(`DELETE FROM audit_checkpoints WHERE tenant_id = $1`, [tenantId]));
  }

  /** Stores a checkpoint row as given: one of their own making (which they cannot sign), or one they deleted before. */
  async storeCheckpoint(checkpoint: { tenant: string; seq: number; hash: string; at: string; keyId: string; signature: string }): Promise<void> {
    await this.tamper((tx) =>
      tx.rows(`INSERT INTO audit_checkpoints (tenant_id, seq, hash, at, key_id, signature) VALUES ($1, $2, $3, $4, $5, $6)`, [
        checkpoint.tenant, checkpoint.seq, checkpoint.hash, checkpoint.at, checkpoint.keyId, checkpoint.signature,
      ]),
    );
  }

  private tamper(work: (tx: Pick<Transaction, 'rows'>) => Promise<unknown>): Promise<void> {
    // A superuser's own transaction, not the broker's (which drops to the application role).
    return asSuperuser(this.database, async (query) => {
      const tx = { rows: <T>(sql: string, parameters: readonly unknown[] = []) => query<T>(sql, parameters) };
      await tx.rows(`SET LOCAL session_replication_role = replica`); // bypasses the append-only triggers
      await work(tx);
    });
  }
}

function unkeyedHash(event: EventRow, prevHash: string): string {
  const chained = {
    id: event.id,
    seq: Number(event.seq),
    at: event.at.toISOString(),
    type: event.type,
    tenant: event.tenant_id,
    user: event.user_id,
    actor: { kind: event.actor_kind, id: event.actor_id },
    session: event.session_id,
    provider: event.provider,
    providerSession: event.provider_session_id,
    requestId: event.request_id,
    detail: event.detail,
    // The formula is public: an attacker hashes every field the broker would, the recorded HTTP operation included.
    ...(event.http ? { http: event.http } : {}),
  };
  return createHash('sha256').update(prevHash).update(canonicalJson(chained)).digest('hex');
}
