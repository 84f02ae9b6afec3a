import { Injectable } from '@nestjs/common';
import { Database } from '#libs/persistence';
import { AdminSessionsService } from '../admin/admin-sessions.service.js';
import { eraseUserFromAudit } from '../audit/audit-erasure.js';
import { AuditKeyring } from '../audit/audit-keyring.js';
import { appendAuditEvent, lockChainHead } from '../audit/audit-log.js';
import { currentTenantPrincipal } from '../identity/principal.js';
import type { ErasureView } from './erasure.schemas.js';
import { TranscriptRepository } from './transcript.repository.js';
import { UserRecordsRepository } from './user-records.repository.js';

/**
 * Erasure of an end user (API.md §10; README: Retention and erasure): their
 * live sessions are ended first, through the admin kill switch (each stops
 * its provider session); then, in one tenant transaction, their transcripts'
 * content is deleted and every record that names them is pseudonymised,
 * audit events included (sealed, hashes unchanged), and `user.erased` is
 * appended under the pseudonym. The clear id is nowhere in what it writes.
 */
@Injectable()
export class ErasureService {
  constructor(
    private readonly database: Database,
    private readonly keyring: AuditKeyring,
    private readonly adminSessions: AdminSessionsService,
  ) {}

  async erase(userId: string): Promise<ErasureView> {
    const { tenantId } = currentTenantPrincipal();
    const ended = await this.adminSessions.terminateUserSessions(userId);
    const pseudonym = this.keyring.current.pseudonym(tenantId, userId);
    const erasedAt = new Date();
    await this.database.inTenant(tenantId, async (tx) => {
      // Appends of the tenant wait while its events are rewritten, so none lands half-erased.
      await lockChainHead(tx, tenantId);
      const records = new UserRecordsRepository(tx);
      const purged = await new TranscriptRepository(tx).purgeSessions(await records.sessionIds(tenantId, userId));
      const pseudonymised = await records.pseudonymise(tenantId, userId, pseudonym);
      const auditEvents = await eraseUserFromAudit(tx, tenantId, userId, pseudonym, erasedAt);
      await appendAuditEvent(tx, tenantId, {
        type: 'user.erased',
        user: pseudonym,
        detail: { sessionsEnded: ended.terminated, eventsDeleted: purged.events, turnsPurged: purged.turns, ...pseudonymised, auditEvents },
      });
    });
    return { user: userId, erasedAt: erasedAt.toISOString() };
  }
}
