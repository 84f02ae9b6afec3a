import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * An audit chain a database writer cannot rewrite undetected (README: Audit
 * integrity).
 *
 * - `audit_events.key_id`: the audit key that chained the event (its hash is
 *   an HMAC with a key the database never holds). Null marks the legacy
 *   events from before, chained with plain SHA-256. From now on every new
 *   event must carry a key: a constraint checked on new and updated rows
 *   only (NOT VALID leaves the legacy rows as they are), so a broker of the
 *   previous version still running during a rolling upgrade fails its
 *   audited writes instead of appending unkeyed events after keyed ones,
 *   which verification reports as tampering.
 * - `audit_checkpoints`: signed statements "the tenant's chain had this hash
 *   at this seq", also written to the log and handed to auditors, so a
 *   rewrite after a checkpoint left the database is caught even if the
 *   database's own copy is rewritten too. Append-only, tenant-isolated.
 */
export class AuditIntegrity1763700900000 implements MigrationInterface {
  name = 'AuditIntegrity1763700900000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE audit_events ADD COLUMN key_id text`);
    await db.query(`ALTER TABLE audit_events ADD CONSTRAINT audit_events_keyed CHECK (key_id IS NOT NULL) NOT VALID`);

    await db.query(`
      CREATE TABLE audit_checkpoints (
        tenant_id text NOT NULL REFERENCES tenants(id),
        seq bigint NOT NULL,
        hash text NOT NULL,
        at timestamptz NOT NULL,
        key_id text NOT NULL,
        signature text NOT NULL,
        PRIMARY KEY (tenant_id, seq)
      )`);
    await db.query(`
      CREATE FUNCTION audit_checkpoints_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'audit_checkpoints is append-only' USING ERRCODE = 'insufficient_privilege';
      END $$`);
    await db.query(`
      CREATE TRIGGER audit_checkpoints_append_only BEFORE UPDATE OR DELETE ON audit_checkpoints
      FOR EACH ROW EXECUTE FUNCTION audit_checkpoints_refuse_change()`);
    await db.query(`
      CREATE TRIGGER audit_checkpoints_no_truncate BEFORE TRUNCATE ON audit_checkpoints
      FOR EACH STATEMENT EXECUTE FUNCTION audit_checkpoints_refuse_change()`);
    await db.query(`GRANT SELECT, INSERT ON audit_checkpoints TO switchboard_app`);
    await db.query(`ALTER TABLE audit_checkpoints ENABLE ROW LEVEL SECURITY`);
    await db.query(`
      CREATE POLICY tenant_isolation ON audit_checkpoints
        USING (tenant_id = current_setting('app.tenant_id', true) OR current_setting('app.scope', true) = 'platform')
        WITH CHECK (tenant_id = current_setting('app.tenant_id', true) OR current_setting('app.scope', true) = 'platform')`);
  }

  /** Keyed events then fail verification by the previous version, which knows only the legacy formula. */
  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE audit_checkpoints`);
    await db.query(`DROP FUNCTION audit_checkpoints_refuse_change()`);
    await db.query(`ALTER TABLE audit_events DROP CONSTRAINT audit_events_keyed`);
    await db.query(`ALTER TABLE audit_events DROP COLUMN key_id`);
  }
}
