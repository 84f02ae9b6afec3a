import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `Idempotency-Key` records of turns (API.md §4 "Idempotent turns"): per
 * session and key, the request's hash and the turn it started, kept 24 h.
 * A turn the provider never accepted gives its key back (the record is
 * deleted when the turn is settled), so a client retrying a 503 with the
 * same key gets a new attempt instead of the same refusal for a day.
 */
export class TurnIdempotencyKeys1763701525000 implements MigrationInterface {
  name = 'TurnIdempotencyKeys1763701525000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE turn_idempotency_keys (
        tenant_id text NOT NULL REFERENCES tenants(id),
        session_id text NOT NULL REFERENCES sessions(id),
        key text NOT NULL,
        request_hash text NOT NULL,
        turn_id text NOT NULL REFERENCES turns(id),
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (session_id, key)
      )`);
    await db.query(`CREATE INDEX turn_idempotency_keys_turn_idx ON turn_idempotency_keys (turn_id)`);
    await db.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON turn_idempotency_keys TO switchboard_app`);
    await db.query(`ALTER TABLE turn_idempotency_keys ENABLE ROW LEVEL SECURITY`);
    await db.query(`
      CREATE POLICY tenant_isolation ON turn_idempotency_keys
        USING (tenant_id = current_setting('app.tenant_id', true) OR current_setting('app.scope', true) = 'platform')
        WITH CHECK (tenant_id = current_setting('app.tenant_id', true) OR current_setting('app.scope', true) = 'platform')`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE IF EXISTS turn_idempotency_keys`);
  }
}
