import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Makes an audit event's time monotonic within its tenant (the chain head
 * remembers the last `at`; an append never goes back in time, whatever a
 * replica's clock says), so a time range maps exactly onto a seq range and
 * time-filtered queries use the seq index.
 */
export class AuditQueries1763700200000 implements MigrationInterface {
  name = 'AuditQueries1763700200000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE audit_chain_heads ADD COLUMN last_at timestamptz`);
    await db.query(`UPDATE audit_chain_heads h SET last_at = (SELECT max(at) FROM audit_events e WHERE e.tenant_id = h.tenant_id)`);
    await db.query(`DROP INDEX audit_events_at_idx`);
    await db.query(`CREATE INDEX audit_events_at_idx ON audit_events (tenant_id, at, seq)`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP INDEX audit_events_at_idx`);
    await db.query(`CREATE INDEX audit_events_at_idx ON audit_events (tenant_id, at)`);
    await db.query(`ALTER TABLE audit_chain_heads DROP COLUMN last_at`);
  }
}
