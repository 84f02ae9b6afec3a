import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Metering and the price book.
 *
 * - `price_book_versions` / `prices`: platform-wide, versioned, append-only.
 *   A change is a new version; meter rows name the version they were priced
 *   with, so a price change never rewrites past costs. Version 1 holds the
 *   runtimes' published list prices as of this migration's date.
 * - `meter_records`: one row per finished turn, what drives the bill
 *   (active and idle seconds, tokens, vCPU/GiB-seconds), both the broker's
 *   clock and the provider's figure where it reports one.
 * - `meter_charges`: the priced lines of a meter record, one per charge
 *   type and clock hour, the rows of the FOCUS export. The database itself
 *   checks cost = pricing quantity × unit price, exactly (numeric).
 *
 * Meter tables are tenant-owned (RLS like every other) and append-only:
 * the app role may only SELECT and INSERT, and a trigger refuses UPDATE,
 * DELETE and TRUNCATE for everyone else.
 */
const published: Array<[provider: string, unit: string, unitPrice: string, source: string]> = [
  ['claude', 'session-hour', '0.08', 'https://www.anthropic.com/pricing (Claude Managed Agents, per session-hour of running time)'],
  ['claude', 'input-mtok', '3', 'https://www.anthropic.com/pricing (Claude Sonnet 4.5 input, per million tokens)'],
  ['claude', 'output-mtok', '15', 'https://www.anthropic.com/pricing (Claude Sonnet 4.5 output, per million tokens)'],
  ['agentcore', 'vcpu-hour', '0.0895', 'https://aws.amazon.com/bedrock/agentcore/pricing/ (Runtime CPU, per vCPU-hour, per second of active use)'],
  ['agentcore', 'gib-hour', '0.00945', 'https://aws.amazon.com/bedrock/agentcore/pricing/ (Runtime memory, per GB-hour)'],
  ['foundry', 'vcpu-hour', '0.0994', 'https://azure.microsoft.com/pricing/details/ai-foundry/ (hosted agents, preview, per vCPU-hour)'],
  ['foundry', 'gib-hour', '0.0118', 'https://azure.microsoft.com/pricing/details/ai-foundry/ (hosted agents, preview, per GiB-hour)'],
  ['vertex', 'vcpu-hour', '0.0864', 'https://cloud.google.com/vertex-ai/pricing#vertex-ai-agent-engine (Agent Engine, per vCPU-hour)'],
  ['vertex', 'gib-hour', '0.009', 'https://cloud.google.com/vertex-ai/pricing#vertex-ai-agent-engine (Agent Engine, per GiB-hour)'],
];
const publishedOn = '2025-11-21';
const units = `'session-hour', 'vcpu-hour', 'gib-hour', 'input-mtok', 'output-mtok'`;
const appendOnlyTables = ['price_book_versions', 'prices', 'meter_records', 'meter_charges'];

export class Metering1763700300000 implements MigrationInterface {
  name = 'Metering1763700300000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE price_book_versions (
        version integer PRIMARY KEY,
        created_at timestamptz NOT NULL DEFAULT now(),
        note text
      )`);
    await db.query(`
      CREATE TABLE prices (
        version integer NOT NULL REFERENCES price_book_versions(version),
        provider text NOT NULL,
        unit text NOT NULL CHECK (unit IN (${units})),
        unit_price numeric NOT NULL CHECK (unit_price >= 0 AND scale(unit_price) <= 10),
        currency text NOT NULL DEFAULT 'USD' CHECK (currency = 'USD'),
        source text NOT NULL,
        effective_date date NOT NULL,
        PRIMARY KEY (version, provider, unit)
      )`);
    await db.query(`INSERT INTO price_book_versions (version, note) VALUES (1, 'published list prices')`);
    for (const [provider, unit, unitPrice, source] of published) {
      await db.query(`INSERT INTO prices (version, provider, unit, unit_price, source, effective_date) VALUES (1, $1, $2, $3, $4, $5)`, [
        provider, unit, unitPrice, source, publishedOn,
      ]);
    }

    await db.query(`
      CREATE TABLE meter_records (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        tenant_id text NOT NULL REFERENCES tenants(id),
        session_id text NOT NULL REFERENCES sessions(id),
        turn_id text NOT NULL UNIQUE,
        user_id text NOT NULL,
        agent_id text NOT NULL,
        provider text NOT NULL,
        principal_id text,
        turn_status text NOT NULL,
        period_start timestamptz NOT NULL,
        period_end timestamptz NOT NULL,
        active_seconds numeric(14, 3) NOT NULL,
        active_basis text NOT NULL CHECK (active_basis IN ('estimated', 'provider-reported')),
        broker_active_seconds numeric(14, 3) NOT NULL,
        provider_active_seconds numeric(14, 3),
        idle_seconds numeric(14, 3) NOT NULL,
        input_tokens bigint NOT NULL,
        output_tokens bigint NOT NULL,
        vcpu_seconds numeric(14, 3),
        gib_seconds numeric(14, 3),
        compute_estimated boolean NOT NULL,
        price_book_version integer NOT NULL REFERENCES price_book_versions(version),
        cost_usd numeric NOT NULL,
        CHECK (period_end >= period_start)
      )`);
    await db.query(`CREATE INDEX meter_records_period_idx ON meter_records (tenant_id, period_start)`);
    await db.query(`CREATE INDEX meter_records_session_idx ON meter_records (session_id)`);

    await db.query(`
      CREATE TABLE meter_charges (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        tenant_id text NOT NULL REFERENCES tenants(id),
        meter_id bigint NOT NULL REFERENCES meter_records(id),
        session_id text NOT NULL,
        user_id text NOT NULL,
        agent_id text NOT NULL,
        provider text NOT NULL,
        principal_id text,
        charge_period_start timestamptz NOT NULL,
        charge_period_end timestamptz NOT NULL,
        unit text NOT NULL CHECK (unit IN (${units})),
        consumed_quantity numeric NOT NULL CHECK (consumed_quantity >= 0),
        pricing_quantity numeric NOT NULL CHECK (pricing_quantity >= 0),
        unit_price numeric NOT NULL,
        cost numeric NOT NULL,
        cost_basis text NOT NULL CHECK (cost_basis IN ('estimated', 'provider-reported')),
        price_book_version integer NOT NULL REFERENCES price_book_versions(version),
        CHECK (cost = pricing_quantity * unit_price),
        CHECK (charge_period_end >= charge_period_start)
      )`);
    // The export's keyset: (period start, id) within a tenant.
    await db.query(`CREATE INDEX meter_charges_period_idx ON meter_charges (tenant_id, charge_period_start, id)`);
    await db.query(`CREATE INDEX meter_charges_meter_idx ON meter_charges (meter_id)`);

    await db.query(`
      CREATE FUNCTION append_only_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION '% is append-only', TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
      END $$`);
    for (const table of appendOnlyTables) {
      await db.query(`GRANT SELECT, INSERT ON ${table} TO switchboard_app`);
      await db.query(`
        CREATE TRIGGER ${table}_append_only BEFORE UPDATE OR DELETE ON ${table}
        FOR EACH ROW EXECUTE FUNCTION append_only_refuse_change()`);
      await db.query(`
        CREATE TRIGGER ${table}_no_truncate BEFORE TRUNCATE ON ${table}
        FOR EACH STATEMENT EXECUTE FUNCTION append_only_refuse_change()`);
    }
    for (const table of ['meter_records', 'meter_charges']) {
      await db.query(`ALTER TABLE ${table} ENABLE ROW LEVEL SECURITY`);
      await db.query(`
        CREATE POLICY tenant_isolation ON ${table}
          USING (tenant_id = current_setting('app.tenant_id', true) OR current_setting('app.scope', true) = 'platform')
          WITH CHECK (tenant_id = current_setting('app.tenant_id', true) OR current_setting('app.scope', true) = 'platform')`);
    }
  }

  async down(db: QueryRunner): Promise<void> {
    for (const table of ['meter_charges', 'meter_records', 'prices', 'price_book_versions']) await db.query(`DROP TABLE IF EXISTS ${table}`);
    await db.query(`DROP FUNCTION IF EXISTS append_only_refuse_change()`);
  }
}
