import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Who changed the price book, and in which request: every price change
 * alters what every tenant is charged from then on, so finance and security
 * can trace each version to the operator credential that made it. The book
 * is append-only and platform-wide, so the version row itself is the record
 * (not one audit event per tenant chain). Versions from before this
 * migration (the published list, seeded by Metering) have none: `system`.
 */
export class PriceBookAuthors1763700600000 implements MigrationInterface {
  name = 'PriceBookAuthors1763700600000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      ALTER TABLE price_book_versions
        ADD COLUMN changed_by_kind text NOT NULL DEFAULT 'system' CHECK (changed_by_kind IN ('operator', 'system')),
        ADD COLUMN changed_by_id text,
        ADD COLUMN request_id text`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE price_book_versions DROP COLUMN changed_by_kind, DROP COLUMN changed_by_id, DROP COLUMN request_id`);
  }
}
