import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Signed webhooks (issue 21): subscriptions, their delivery outbox, and the
 * budget alerts already announced.
 *
 * - `webhooks`: one subscription; its secret only as AES-256-GCM ciphertext
 *   (`secret_sealed`, the audit key `secret_key_id` it was sealed under).
 * - `webhook_deliveries`: the outbox. A row is queued in the transaction that
 *   records its event (the audit append, the budget settlement), so a crash
 *   loses none. `position` orders a webhook's deliveries; only the lowest
 *   pending one of a webhook is claimable (in order per webhook), and a claim
 *   is a lease (`lease_until`) so a replica that dies mid-request leaves it to
 *   another once the lease ends. An audit event's body is rendered from its
 *   row at delivery (`audit_seq`); other events carry theirs (`payload`).
 * - `budget_alerts`: one row per (tenant, scope, user, period, threshold),
 *   inserted in the settlement transaction: the unique key makes each
 *   crossing announced once, whatever the replicas race.
 * - `webhook_matches(patterns, type)`: `*`, an exact type, or a prefix
 *   wildcard (`audit.*`), shared by every statement that queues deliveries.
 */
export class Webhooks1763702100000 implements MigrationInterface {
  name = 'Webhooks1763702100000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE FUNCTION webhook_matches(patterns text[], event_type text) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
        SELECT EXISTS (SELECT 1 FROM unnest(patterns) AS p
                       WHERE p = '*' OR p = event_type OR (right(p, 2) = '.*' AND starts_with(event_type, left(p, -1))))
      $$`);
    await db.query(`
      CREATE TABLE webhooks (
        id text PRIMARY KEY,
        tenant_id text NOT NULL REFERENCES tenants(id),
        url text NOT NULL,
        events text[] NOT NULL,
        format text NOT NULL CHECK (format IN ('json', 'ocsf')),
        description text,
        status text NOT NULL CHECK (status IN ('active', 'paused', 'disabled')),
        secret_sealed text NOT NULL,
        secret_key_id text NOT NULL,
        disabled_reason text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await db.query(`CREATE INDEX webhooks_tenant ON webhooks (tenant_id)`);
    await db.query(`
      CREATE TABLE webhook_deliveries (
        id text PRIMARY KEY,
        position bigserial NOT NULL,
        tenant_id text NOT NULL,
        webhook_id text NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
        event_type text NOT NULL,
        audit_seq bigint,
        payload jsonb,
        status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
        attempts integer NOT NULL DEFAULT 0,
        next_attempt_at timestamptz NOT NULL DEFAULT now(),
        lease_until timestamptz,
        first_attempt_at timestamptz,
        last_attempt_at timestamptz,
        last_status integer,
        last_error text,
        last_answer text,
        attempt_log jsonb NOT NULL DEFAULT '[]',
        delivered_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        CHECK ((audit_seq IS NULL) <> (payload IS NULL))
      )`);
    await db.query(`CREATE INDEX webhook_deliveries_head ON webhook_deliveries (webhook_id, position) WHERE status = 'pending'`);
    await db.query(`CREATE INDEX webhook_deliveries_listing ON webhook_deliveries (webhook_id, id)`);
    await db.query(`
      CREATE TABLE budget_alerts (
        tenant_id text NOT NULL REFERENCES tenants(id),
        scope text NOT NULL CHECK (scope IN ('user', 'tenant')),
        user_id text NOT NULL,
        month date NOT NULL,
        threshold integer NOT NULL,
        spent_usd numeric NOT NULL,
        budget_usd numeric NOT NULL,
        crossed_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, scope, user_id, month, threshold)
      )`);
    await db.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON webhooks, webhook_deliveries TO switchboard_app`);
    // DELETE: an erased user's alerts move under their pseudonym (erasure/user-records.repository.ts).
    await db.query(`GRANT SELECT, INSERT, DELETE ON budget_alerts TO switchboard_app`);
    await db.query(`GRANT USAGE ON SEQUENCE webhook_deliveries_position_seq TO switchboard_app`);
    await db.query(`GRANT EXECUTE ON FUNCTION webhook_matches(text[], text) TO switchboard_app`);
    for (const table of ['webhooks', 'webhook_deliveries', 'budget_alerts']) {
      await db.query(`ALTER TABLE ${table} ENABLE ROW LEVEL SECURITY`);
      await db.query(`
        CREATE POLICY tenant_isolation ON ${table}
          USING (tenant_id = current_setting('app.tenant_id', true) OR current_setting('app.scope', true) = 'platform')
          WITH CHECK (tenant_id = current_setting('app.tenant_id', true) OR current_setting('app.scope', true) = 'platform')`);
    }
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE IF EXISTS budget_alerts`);
    await db.query(`DROP TABLE IF EXISTS webhook_deliveries`);
    await db.query(`DROP TABLE IF EXISTS webhooks`);
    await db.query(`DROP FUNCTION IF EXISTS webhook_matches(text[], text)`);
  }
}
