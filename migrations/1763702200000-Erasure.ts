import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Retention and erasure (API.md §5 `transcriptRetentionDays`, §10; README:
 * Retention and erasure).
 *
 * - `turns.content_purged_at`: when the turn's input, output and error text
 *   were purged (retention or erasure); the partial index is the daily
 *   retention sweep's worklist (turns not purged yet, by age).
 * - `session_events_at_idx`: the sweep deletes a tenant's stored events
 *   older than its retention by time.
 * - `audit_events.erasure`: `{at, keyId, seal}` once a user named by the
 *   event was erased. The event's `hash` (and so the chain and every
 *   checkpoint) never changes; the seal is an HMAC with the audit key over
 *   the event as it reads after erasure together with that hash, so
 *   verification checks an erased event by its seal instead of recomputing
 *   the hash from content that is gone.
 * - The append-only triggers of `audit_events`, `meter_records` and
 *   `meter_charges` now let exactly the erasure through: an audit row may
 *   change only `user_id`, `detail` and `erasure` (and only with a new
 *   seal); a meter row only `user_id`, and only to a pseudonym
 *   (`erased:` + digest). Everything else is refused as before; the
 *   application role gets UPDATE on those columns only.
 *
 * Existing chains need no rewrite: events keep their hashes, so stored and
 * externally kept checkpoints stay valid (rewriting every hash into a new
 * form would make an upgrade indistinguishable from a rewrite of history).
 */
export class Erasure1763702200000 implements MigrationInterface {
  name = 'Erasure1763702200000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE turns ADD COLUMN content_purged_at timestamptz`);
    await db.query(`CREATE INDEX turns_unpurged_idx ON turns (tenant_id, started_at) WHERE content_purged_at IS NULL`);
    await db.query(`CREATE INDEX session_events_at_idx ON session_events (tenant_id, at)`);
    await db.query(`ALTER TABLE audit_events ADD COLUMN erasure jsonb`);

    await db.query(`
      CREATE FUNCTION audit_events_refuse_change_but_erasure() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'UPDATE' AND NEW.erasure IS NOT NULL AND NEW.erasure IS DISTINCT FROM OLD.erasure
           AND to_jsonb(NEW) - ARRAY['user_id', 'detail', 'erasure'] = to_jsonb(OLD) - ARRAY['user_id', 'detail', 'erasure'] THEN
          RETURN NEW;
        END IF;
        RAISE EXCEPTION 'audit_events is append-only' USING ERRCODE = 'insufficient_privilege';
      END $$`);
    await db.query(`DROP TRIGGER audit_events_append_only ON audit_events`);
    await db.query(`
      CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
      FOR EACH ROW EXECUTE FUNCTION audit_events_refuse_change_but_erasure()`);

    await db.query(`
      CREATE FUNCTION meter_refuse_change_but_pseudonym() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'UPDATE' AND NEW.user_id LIKE 'erased:%' AND to_jsonb(NEW) - 'user_id' = to_jsonb(OLD) - 'user_id' THEN
          RETURN NEW;
        END IF;
        RAISE EXCEPTION '% is append-only', TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
      END $$`);
    for (const table of ['meter_records', 'meter_charges']) {
      await db.query(`DROP TRIGGER ${table}_append_only ON ${table}`);
      await db.query(`
        CREATE TRIGGER ${table}_append_only BEFORE UPDATE OR DELETE ON ${table}
        FOR EACH ROW EXECUTE FUNCTION meter_refuse_change_but_pseudonym()`);
      await db.query(`GRANT UPDATE (user_id) ON ${table} TO switchboard_app`);
    }
    await db.query(`GRANT UPDATE (user_id, detail, erasure) ON audit_events TO switchboard_app`);
    await db.query(`GRANT DELETE ON session_events, idempotency_keys, budget_ledgers TO switchboard_app`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`REVOKE DELETE ON session_events, idempotency_keys, budget_ledgers FROM switchboard_app`);
    await db.query(`REVOKE UPDATE (user_id, detail, erasure) ON audit_events FROM switchboard_app`);
    for (const table of ['meter_records', 'meter_charges']) {
      await db.query(`REVOKE UPDATE (user_id) ON ${table} FROM switchboard_app`);
      await db.query(`DROP TRIGGER ${table}_append_only ON ${table}`);
      await db.query(`
        CREATE TRIGGER ${table}_append_only BEFORE UPDATE OR DELETE ON ${table}
        FOR EACH ROW EXECUTE FUNCTION append_only_refuse_change()`);
    }
    await db.query(`DROP FUNCTION meter_refuse_change_but_pseudonym()`);
    await db.query(`DROP TRIGGER audit_events_append_only ON audit_events`);
    await db.query(`
      CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
      FOR EACH ROW EXECUTE FUNCTION audit_events_refuse_change()`);
    await db.query(`DROP FUNCTION audit_events_refuse_change_but_erasure()`);
    // Erased events keep their pseudonyms; the previous version verifies them by hash and reports them as edited.
    await db.query(`ALTER TABLE audit_events DROP COLUMN erasure`);
    await db.query(`DROP INDEX session_events_at_idx`);
    await db.query(`DROP INDEX turns_unpurged_idx`);
    await db.query(`ALTER TABLE turns DROP COLUMN content_purged_at`);
  }
}
