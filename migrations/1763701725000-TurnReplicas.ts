import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Which broker replica runs a turn, so a turn whose replica died can be
 * ended by whoever learns of it (issue 16 item 8).
 *
 * - `turns.replica_id`: the replica that claimed the turn (see
 *   apps/broker/src/lifecycle/replica-presence.ts); NULL for turns claimed
 *   before this migration, which only the reaper's threshold ends.
 * - `turns_running_idx`: the reaper's lost-turn sweep reads running turns
 *   by age, whatever their session's state; running turns are few.
 */
export class TurnReplicas1763701725000 implements MigrationInterface {
  name = 'TurnReplicas1763701725000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE turns ADD COLUMN replica_id text`);
    await db.query(`CREATE INDEX turns_running_idx ON turns (started_at) WHERE status = 'running'`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP INDEX turns_running_idx`);
    await db.query(`ALTER TABLE turns DROP COLUMN replica_id`);
  }
}
