import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Metering says what it knows (issue 15 item 10).
 *
 * - `meter_records.tokens_reported`: false when the provider reported no
 *   token counts for the turn (its zeros are not measurements). Records
 *   metered before this are taken as reported (they were priced so).
 * - `meter_records.kind`: `turn` (one per finished turn, as before) or
 *   `session-reconciliation`: at most one per session, written when the
 *   session has ended, carrying the difference between what the turns
 *   metered and what the provider reports (or the adapter estimates) for the
 *   whole session. Its `turn_id` is null; its quantities may be negative.
 * - `meter_charges.source` says which kind of record a line prices;
 *   `meter_charges.charge_class` is FOCUS ChargeClass: null, or `Correction`
 *   for a reconciliation line that corrects usage of an earlier billing
 *   period than the one it is charged in. Only reconciliation lines may be
 *   negative.
 *
 * Rows stay append-only: a reconciliation is a new row, charged when it is
 * made, so the export of a closed period never changes.
 */
export class MeteringProvenance1763701823000 implements MigrationInterface {
  name = 'MeteringProvenance1763701823000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      ALTER TABLE meter_records
        ADD COLUMN kind text NOT NULL DEFAULT 'turn' CHECK (kind IN ('turn', 'session-reconciliation')),
        ADD COLUMN tokens_reported boolean NOT NULL DEFAULT true,
        ALTER COLUMN turn_id DROP NOT NULL,
        ADD CONSTRAINT meter_records_turn_kind_check CHECK ((kind = 'turn') = (turn_id IS NOT NULL))`);
    await db.query(`CREATE UNIQUE INDEX meter_records_session_reconciliation_idx ON meter_records (session_id) WHERE kind = 'session-reconciliation'`);
    await db.query(`
      ALTER TABLE meter_charges
        ADD COLUMN source text NOT NULL DEFAULT 'turn' CHECK (source IN ('turn', 'session-reconciliation')),
        ADD COLUMN charge_class text CHECK (charge_class = 'Correction'),
        DROP CONSTRAINT meter_charges_consumed_quantity_check,
        DROP CONSTRAINT meter_charges_pricing_quantity_check,
        ADD CONSTRAINT meter_charges_quantity_sign_check CHECK (source = 'session-reconciliation' OR (consumed_quantity >= 0 AND pricing_quantity >= 0)),
        ADD CONSTRAINT meter_charges_correction_source_check CHECK (charge_class IS NULL OR source = 'session-reconciliation')`);
  }

  async down(db: QueryRunner): Promise<void> {
    // Reconciliation rows cannot be expressed in the older schema: the downgrade stops on them (NOT NULL, CHECK) rather than rewrite history.
    await db.query(`
      ALTER TABLE meter_charges
        DROP CONSTRAINT meter_charges_correction_source_check,
        DROP CONSTRAINT meter_charges_quantity_sign_check,
        ADD CONSTRAINT meter_charges_consumed_quantity_check CHECK (consumed_quantity >= 0),
        ADD CONSTRAINT meter_charges_pricing_quantity_check CHECK (pricing_quantity >= 0),
        DROP COLUMN charge_class,
        DROP COLUMN source`);
    await db.query(`DROP INDEX meter_records_session_reconciliation_idx`);
    await db.query(`
      ALTER TABLE meter_records
        DROP CONSTRAINT meter_records_turn_kind_check,
        ALTER COLUMN turn_id SET NOT NULL,
        DROP COLUMN tokens_reported,
        DROP COLUMN kind`);
  }
}
