import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A key view showed the first twelve characters of each secret (`sbk_` and
 * eight secret ones). Keys now keep only the last four characters for display,
 * and the secret characters already stored in `key_prefix` are cut back to
 * the public `sbk_`: existing keys have no last four (null), since only
 * their hash is known. The column stays (and stays filled) so that replicas
 * still running the previous version keep working during a rollout.
 */
export class ApiKeyLastFour1763701000000 implements MigrationInterface {
  name = 'ApiKeyLastFour1763701000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE api_keys ADD COLUMN key_last4 text`);
    await db.query(`UPDATE api_keys SET key_prefix = left(key_prefix, 4) WHERE length(key_prefix) > 4`);
  }

  async down(db: QueryRunner): Promise<void> {
    // The secret characters taken out of key_prefix are not restored: they were never meant to be kept.
    await db.query(`ALTER TABLE api_keys DROP COLUMN key_last4`);
  }
}
