import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Tool approvals (API.md §4, issue 16 item 5 / issue 15 item 5).
 *
 * - A turn that ended waiting for a person to approve tool calls has the
 *   status `requires_action` (the CHECK on `turns.status` is widened).
 * - `sessions.pending_approvals`: the tool calls the session's last turn
 *   left waiting (`[{toolCallId,name,turnId}]`), or NULL when none. The
 *   broker checks a turn's decisions against it (an unknown id is a 400)
 *   and denies the calls a turn with input leaves undecided. It sits on the
 *   session row because every turn's claim reads that row anyway.
 */
export class ToolApprovals1763701925000 implements MigrationInterface {
  name = 'ToolApprovals1763701925000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE turns DROP CONSTRAINT turns_status_check`);
    await db.query(`ALTER TABLE turns ADD CONSTRAINT turns_status_check CHECK (status IN ('running', 'completed', 'failed', 'requires_action'))`);
    await db.query(`ALTER TABLE sessions ADD COLUMN pending_approvals jsonb`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE sessions DROP COLUMN pending_approvals`);
    await db.query(`UPDATE turns SET status = 'completed' WHERE status = 'requires_action'`);
    await db.query(`ALTER TABLE turns DROP CONSTRAINT turns_status_check`);
    await db.query(`ALTER TABLE turns ADD CONSTRAINT turns_status_check CHECK (status IN ('running', 'completed', 'failed'))`);
  }
}
