import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Turns, the session's snapshot of its agent's target, and the session columns that make the one-turn-at-a-time rule and
 * the lifecycle deadlines enforceable (and indexable) in the database.
 */
export class Turns1763700100000 implements MigrationInterface {
  name = 'Turns1763700100000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      ALTER TABLE sessions
        ADD COLUMN turn_started_at timestamptz,
        ADD COLUMN idle_expires_at timestamptz,
        ADD COLUMN expires_at timestamptz,
        ADD COLUMN provider_active_seconds numeric(14, 3) NOT NULL DEFAULT 0,
        ADD COLUMN provider_stopped_at timestamptz,
        ADD COLUMN target jsonb NOT NULL DEFAULT '{}'`);
    // Agents are soft-deleted: ended sessions keep pointing at them.
    await db.query(`ALTER TABLE agents ADD COLUMN deleted_at timestamptz`);
    await db.query(`ALTER TABLE agents DROP CONSTRAINT agents_tenant_id_name_key`);
    await db.query(`CREATE UNIQUE INDEX agents_live_name_idx ON agents (tenant_id, name) WHERE deleted_at IS NULL`);
    await db.query(`
      CREATE TABLE turns (
        id text PRIMARY KEY,
        tenant_id text NOT NULL REFERENCES tenants(id),
        session_id text NOT NULL REFERENCES sessions(id),
        user_id text NOT NULL,
        status text NOT NULL CHECK (status IN ('running', 'completed', 'failed')),
        input jsonb NOT NULL,
        output jsonb NOT NULL DEFAULT '[]',
        error jsonb,
        started_at timestamptz NOT NULL DEFAULT now(),
        ended_at timestamptz,
        duration_ms integer,
        input_tokens bigint NOT NULL DEFAULT 0,
        output_tokens bigint NOT NULL DEFAULT 0,
        active_seconds numeric(14, 3) NOT NULL DEFAULT 0,
        provider_active_seconds numeric(14, 3),
        vcpu_seconds numeric(14, 3),
        gib_seconds numeric(14, 3),
        compute_estimated boolean NOT NULL DEFAULT false
      )`);
    await db.query(`CREATE INDEX turns_session_idx ON turns (session_id, started_at)`);
    await db.query(`CREATE INDEX sessions_deadlines_idx ON sessions (idle_expires_at, expires_at) WHERE status <> 'terminated'`);
    await db.query(`GRANT SELECT, INSERT, UPDATE ON turns TO switchboard_app`);
    // An expired Idempotency-Key is reused in place.
    await db.query(`GRANT UPDATE ON idempotency_keys TO switchboard_app`);
    await db.query(`ALTER TABLE turns ENABLE ROW LEVEL SECURITY`);
    await db.query(`
      CREATE POLICY tenant_isolation ON turns
        USING (tenant_id = current_setting('app.tenant_id', true) OR current_setting('app.scope', true) = 'platform')
        WITH CHECK (tenant_id = current_setting('app.tenant_id', true) OR current_setting('app.scope', true) = 'platform')`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE IF EXISTS turns`);
    await db.query(`DROP INDEX IF EXISTS agents_live_name_idx`);
    await db.query(`ALTER TABLE agents DROP COLUMN deleted_at, ADD CONSTRAINT agents_tenant_id_name_key UNIQUE (tenant_id, name)`);
    await db.query(`DROP INDEX IF EXISTS sessions_deadlines_idx`);
    await db.query(`
      ALTER TABLE sessions DROP COLUMN turn_started_at, DROP COLUMN idle_expires_at, DROP COLUMN expires_at,
        DROP COLUMN provider_active_seconds, DROP COLUMN provider_stopped_at, DROP COLUMN target`);
  }
}
