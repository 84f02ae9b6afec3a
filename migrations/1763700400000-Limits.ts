import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Limits: the tenant policy and per-user overrides, fixed-window rate
 * counters, and monthly budget ledgers — all in PostgreSQL, so every replica
 * enforces the same numbers. The tenant policy row doubles as the tenant's
 * limit lock (`SELECT … FOR UPDATE` serialises a tenant's session creates).
 */
export class Limits1763700400000 implements MigrationInterface {
  name = 'Limits1763700400000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE tenant_limits (
        tenant_id text PRIMARY KEY REFERENCES tenants(id),
        policy jsonb NOT NULL DEFAULT '{}',
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await db.query(`
      CREATE TABLE user_limits (
        tenant_id text NOT NULL REFERENCES tenants(id),
        user_id text NOT NULL,
        policy jsonb NOT NULL DEFAULT '{}',
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, user_id)
      )`);
    await db.query(`
      CREATE TABLE rate_windows (
        tenant_id text NOT NULL REFERENCES tenants(id),
        user_id text NOT NULL,
        kind text NOT NULL CHECK (kind IN ('session_create', 'turn')),
        window_start timestamptz NOT NULL,
        count integer NOT NULL,
        PRIMARY KEY (tenant_id, user_id, kind, window_start)
      )`);
    // user_id '' is the tenant-wide ledger.
    await db.query(`
      CREATE TABLE budget_ledgers (
        tenant_id text NOT NULL REFERENCES tenants(id),
        user_id text NOT NULL,
        month date NOT NULL,
        reserved_usd numeric(20, 10) NOT NULL DEFAULT 0 CHECK (reserved_usd >= 0),
        spent_usd numeric(20, 10) NOT NULL DEFAULT 0,
        PRIMARY KEY (tenant_id, user_id, month)
      )`);
    await db.query(`ALTER TABLE turns ADD COLUMN budget_reservation jsonb`);
    await db.query(`GRANT SELECT, INSERT, UPDATE ON tenant_limits, user_limits, rate_windows, budget_ledgers TO switchboard_app`);
    await db.query(`GRANT DELETE ON rate_windows, user_limits TO switchboard_app`);
    for (const table of ['tenant_limits', 'user_limits', 'rate_windows', 'budget_ledgers']) {
      await db.query(`ALTER TABLE ${table} ENABLE ROW LEVEL SECURITY`);
      await db.query(`
        CREATE POLICY tenant_isolation ON ${table}
          USING (tenant_id = current_setting('app.tenant_id', true) OR current_setting('app.scope', true) = 'platform')
          WITH CHECK (tenant_id = current_setting('app.tenant_id', true) OR current_setting('app.scope', true) = 'platform')`);
    }
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE turns DROP COLUMN budget_reservation`);
    for (const table of ['budget_ledgers', 'rate_windows', 'user_limits', 'tenant_limits']) await db.query(`DROP TABLE IF EXISTS ${table}`);
  }
}
