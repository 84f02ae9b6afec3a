import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What each tenant may target (security review item 2): the operator grants
 * a tenant scopes of a provider (an AWS account, a Foundry project, a GCP
 * project, a Claude agent or environment). Agent writes and session creates
 * read it inside the tenant's transaction, so RLS applies; only the operator
 * (platform scope) writes it.
 */
export class TargetGrants1763701100000 implements MigrationInterface {
  name = 'TargetGrants1763701100000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE target_grants (
        id text PRIMARY KEY,
        tenant_id text NOT NULL REFERENCES tenants(id),
        provider text NOT NULL,
        kind text NOT NULL,
        value text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (tenant_id, provider, kind, value)
      )`);
    await db.query(`GRANT SELECT, INSERT, DELETE ON target_grants TO switchboard_app`);
    await db.query(`ALTER TABLE target_grants ENABLE ROW LEVEL SECURITY`);
    await db.query(`
      CREATE POLICY tenant_isolation ON target_grants
        USING (tenant_id = current_setting('app.tenant_id', true) OR current_setting('app.scope', true) = 'platform')
        WITH CHECK (tenant_id = current_setting('app.tenant_id', true) OR current_setting('app.scope', true) = 'platform')`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE IF EXISTS target_grants`);
  }
}
