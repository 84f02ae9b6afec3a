import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `audit_events.http`: the HTTP operation an event was recorded in (method,
 * route template, operationId, the status it answered) and the caller's
 * address as the broker saw it (trust-proxy honoured), so the OCSF export
 * can say which API operation ran, from where, with what outcome. Null for
 * events recorded outside a request and for events from before. Covered by
 * the event hash when present (older events hash as before).
 */
export class AuditHttpOrigin1763701400000 implements MigrationInterface {
  name = 'AuditHttpOrigin1763701400000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE audit_events ADD COLUMN http jsonb`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE audit_events DROP COLUMN http`);
  }
}
