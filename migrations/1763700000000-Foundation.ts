import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The platform foundation: tenants, credentials, agents, sessions and their
 * events, idempotency keys and the append-only audit log, with row-level
 * security on every tenant-owned table.
 *
 * Isolation model: request transactions run as `switchboard_app` (see
 * libs/persistence/database.ts). Policies admit a row when its tenant_id is
 * the transaction's `app.tenant_id`, or when the transaction declared the
 * platform scope (credential lookup, operator routes, background jobs).
 */
const tenantOwnedTables = ['api_keys', 'agents', 'sessions', 'session_events', 'idempotency_keys', 'audit_events', 'audit_chain_heads'];

export class Foundation1763700000000 implements MigrationInterface {
  name = 'Foundation1763700000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      DO $$ BEGIN
        IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'switchboard_app') THEN
          CREATE ROLE switchboard_app NOLOGIN NOSUPERUSER NOBYPASSRLS NOINHERIT;
        END IF;
        IF NOT pg_has_role(current_user, 'switchboard_app', 'MEMBER') THEN
          EXECUTE format('GRANT switchboard_app TO %I', current_user);
        END IF;
      END $$`);

    await db.query(`
      CREATE TABLE tenants (
        id text PRIMARY KEY,
        name text NOT NULL UNIQUE,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);

    await db.query(`
      CREATE TABLE platform_settings (
        key text PRIMARY KEY,
        value jsonb NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);

    await db.query(`
      CREATE TABLE api_keys (
        id text PRIMARY KEY,
        tenant_id text NOT NULL REFERENCES tenants(id),
        name text NOT NULL,
        role text NOT NULL CHECK (role IN ('app', 'auditor', 'finance', 'admin')),
        key_hash bytea NOT NULL UNIQUE,
        key_prefix text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        revoked_at timestamptz
      )`);
    await db.query(`CREATE INDEX api_keys_tenant_idx ON api_keys (tenant_id, id)`);

    await db.query(`
      CREATE TABLE agents (
        id text PRIMARY KEY,
        tenant_id text NOT NULL REFERENCES tenants(id),
        name text NOT NULL,
        description text,
        instructions text,
        default_provider text NOT NULL,
        targets jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (tenant_id, name)
      )`);

    await db.query(`
      CREATE TABLE sessions (
        id text PRIMARY KEY,
        tenant_id text NOT NULL REFERENCES tenants(id),
        user_id text NOT NULL,
        agent_id text NOT NULL REFERENCES agents(id),
        provider text NOT NULL,
        provider_session_id text,
        provider_state jsonb NOT NULL DEFAULT '{}',
        status text NOT NULL CHECK (status IN ('provisioning', 'idle', 'active', 'terminated')),
        termination_reason text CHECK (termination_reason IN
          ('client', 'idle_timeout', 'max_lifetime', 'provider', 'budget', 'admin', 'error')),
        metadata jsonb NOT NULL DEFAULT '{}',
        idle_timeout_seconds integer NOT NULL,
        max_lifetime_seconds integer NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        last_activity_at timestamptz NOT NULL DEFAULT now(),
        ended_at timestamptz,
        current_turn_id text,
        next_event_seq bigint NOT NULL DEFAULT 1,
        turn_count integer NOT NULL DEFAULT 0,
        input_tokens bigint NOT NULL DEFAULT 0,
        output_tokens bigint NOT NULL DEFAULT 0,
        active_seconds numeric(14, 3) NOT NULL DEFAULT 0,
        cost_usd numeric(20, 10) NOT NULL DEFAULT 0
      )`);
    await db.query(`CREATE INDEX sessions_user_idx ON sessions (tenant_id, user_id, id)`);
    await db.query(`CREATE INDEX sessions_live_idx ON sessions (tenant_id, status) WHERE status <> 'terminated'`);

    await db.query(`
      CREATE TABLE session_events (
        tenant_id text NOT NULL REFERENCES tenants(id),
        session_id text NOT NULL REFERENCES sessions(id),
        seq bigint NOT NULL,
        id text NOT NULL UNIQUE,
        turn_id text,
        type text NOT NULL,
        at timestamptz NOT NULL,
        data jsonb NOT NULL,
        PRIMARY KEY (session_id, seq)
      )`);

    await db.query(`
      CREATE TABLE idempotency_keys (
        tenant_id text NOT NULL REFERENCES tenants(id),
        user_id text NOT NULL,
        key text NOT NULL,
        request_hash text NOT NULL,
        session_id text NOT NULL REFERENCES sessions(id),
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, user_id, key)
      )`);

    await db.query(`
      CREATE TABLE audit_chain_heads (
        tenant_id text PRIMARY KEY REFERENCES tenants(id),
        last_seq bigint NOT NULL,
        last_hash text NOT NULL
      )`);

    await db.query(`
      CREATE TABLE audit_events (
        tenant_id text NOT NULL REFERENCES tenants(id),
        seq bigint NOT NULL,
        id text NOT NULL UNIQUE,
        at timestamptz NOT NULL,
        type text NOT NULL,
        user_id text,
        actor_kind text NOT NULL,
        actor_id text,
        session_id text,
        provider text,
        provider_session_id text,
        request_id text,
        detail jsonb NOT NULL DEFAULT '{}',
        prev_hash text NOT NULL,
        hash text NOT NULL,
        PRIMARY KEY (tenant_id, seq)
      )`);
    await db.query(`CREATE INDEX audit_events_type_idx ON audit_events (tenant_id, type, seq)`);
    await db.query(`CREATE INDEX audit_events_user_idx ON audit_events (tenant_id, user_id, seq)`);
    await db.query(`CREATE INDEX audit_events_session_idx ON audit_events (tenant_id, session_id, seq)`);
    await db.query(`CREATE INDEX audit_events_at_idx ON audit_events (tenant_id, at)`);

    // Append-only, enforced twice: the role has no UPDATE/DELETE grant, and a
    // trigger refuses them for everyone else too (short of disabling it).
    await db.query(`
      CREATE FUNCTION audit_events_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'audit_events is append-only' USING ERRCODE = 'insufficient_privilege';
      END $$`);
    await db.query(`
      CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
      FOR EACH ROW EXECUTE FUNCTION audit_events_refuse_change()`);
    await db.query(`
      CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
      FOR EACH STATEMENT EXECUTE FUNCTION audit_events_refuse_change()`);

    await db.query(`GRANT USAGE ON SCHEMA public TO switchboard_app`);
    await db.query(`GRANT SELECT, INSERT ON tenants TO switchboard_app`);
    await db.query(`GRANT SELECT, INSERT, UPDATE ON api_keys, agents, sessions, audit_chain_heads TO switchboard_app`);
    await db.query(`GRANT DELETE ON agents TO switchboard_app`);
    await db.query(`GRANT SELECT, INSERT ON session_events, idempotency_keys, audit_events TO switchboard_app`);

    await db.query(`ALTER TABLE tenants ENABLE ROW LEVEL SECURITY`);
    await db.query(`
      CREATE POLICY tenant_isolation ON tenants
        USING (id = current_setting('app.tenant_id', true) OR current_setting('app.scope', true) = 'platform')
        WITH CHECK (current_setting('app.scope', true) = 'platform')`);
    for (const table of tenantOwnedTables) {
      await db.query(`ALTER TABLE ${table} ENABLE ROW LEVEL SECURITY`);
      await db.query(`
        CREATE POLICY tenant_isolation ON ${table}
          USING (tenant_id = current_setting('app.tenant_id', true) OR current_setting('app.scope', true) = 'platform')
          WITH CHECK (tenant_id = current_setting('app.tenant_id', true) OR current_setting('app.scope', true) = 'platform')`);
    }
  }

  async down(db: QueryRunner): Promise<void> {
    for (const table of ['audit_events', 'audit_chain_heads', 'idempotency_keys', 'session_events', 'sessions', 'agents', 'api_keys', 'platform_settings', 'tenants']) {
      await db.query(`DROP TABLE IF EXISTS ${table}`);
    }
    await db.query(`DROP FUNCTION IF EXISTS audit_events_refuse_change()`);
  }
}
