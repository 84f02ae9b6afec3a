import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Metering reads, for each finished turn, when the session's previous turn
 * ended (the idle time before this one). Without an index on the end time
 * that read scanned every earlier turn of the session, so a turn cost more
 * the longer its session lived (0.45 ms at 460 turns); with it, one index
 * probe whatever the session's length.
 */
export class TurnEndIndex1763700500000 implements MigrationInterface {
  name = 'TurnEndIndex1763700500000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`CREATE INDEX turns_session_ended_idx ON turns (session_id, ended_at)`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP INDEX turns_session_ended_idx`);
  }
}
