import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * API key lifecycle (API.md §1 "Key lifecycle"): an optional expiry, the
 * last use (minute precision, written at most once a minute per key and
 * replica), the key that replaced a rotated one, and whether the first
 * refusal of an expired key was audited (`credential.expired` is written
 * once, by whichever replica refuses it first).
 */
export class ApiKeyLifecycle1763701527000 implements MigrationInterface {
  name = 'ApiKeyLifecycle1763701527000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      ALTER TABLE api_keys
        ADD COLUMN expires_at timestamptz,
        ADD COLUMN last_used_at timestamptz,
        ADD COLUMN replaced_by text REFERENCES api_keys(id),
        ADD COLUMN expiry_audited boolean NOT NULL DEFAULT false`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE api_keys DROP COLUMN expires_at, DROP COLUMN last_used_at, DROP COLUMN replaced_by, DROP COLUMN expiry_audited`);
  }
}
