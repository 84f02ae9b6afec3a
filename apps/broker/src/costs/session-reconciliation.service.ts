import { Injectable } from '@nestjs/common';
import { Database } from '#libs/persistence';
import type { SessionLife } from '#libs/runtime-spec';
import { logger } from '../logging/logger.js';
import { ProviderCalls } from '../runtimes/provider-calls.js';
import { RuntimeRegistry } from '../runtimes/runtime-registry.js';
import { handleOf } from '../sessions/session-binding.js';
import { SessionRepository } from '../sessions/session.repository.js';
import { MeteringService } from './metering.service.js';

/**
 * Reconciles an ended session's metering with what its provider reports for
 * the whole session (Foundry's session timestamps, …) or, where the provider
 * reports nothing, with the adapter's estimate of what it bills over the
 * session's life (AgentCore: compute from the first invocation to the end,
 * idle time included). The difference from the per-turn records becomes one
 * reconciliation record ({@link MeteringService.reconcileSession}).
 *
 * Runs once the provider session is stopped (or lost), so the provider's
 * figures are final. Best effort: a provider that cannot answer leaves the
 * session unreconciled (logged); the turn records stand as metered.
 */
@Injectable()
export class SessionReconciliation {
  constructor(
    private readonly database: Database,
    private readonly registry: RuntimeRegistry,
    private readonly calls: ProviderCalls,
    private readonly metering: MeteringService,
  ) {}

  async reconcile(tenantId: string, sessionId: string): Promise<void> {
    try {
      const read = await this.database.inTenant(tenantId, async (tx) => {
        const session = await new SessionRepository(tx).findById(sessionId);
        const [row] = await tx.rows<{ first_started_at: Date | null; last_ended_at: Date | null; reconciled: boolean }>(
          `SELECT (SELECT min(started_at) FROM turns WHERE session_id = $1) AS first_started_at,
             (SELECT max(ended_at) FROM turns WHERE session_id = $1) AS last_ended_at,
             EXISTS (SELECT 1 FROM meter_records WHERE session_id = $1 AND kind = 'session-reconciliation') AS reconciled`,
          [sessionId],
        );
        return { session, row };
      });
      const { session, row } = read;
      if (!session || session.status !== 'terminated' || !session.endedAt || !session.providerSessionId || row.reconciled) return;
      const adapter = this.registry.get(session.provider);
      if (!adapter?.sessionTotals) return;
      const life: SessionLife = { firstTurnStartedAt: row.first_started_at, lastTurnEndedAt: row.last_ended_at, endedAt: session.endedAt };
      const handle = handleOf(session);
      const usage = await this.calls.call(
        'provider.sessionTotals',
        { 'switchboard.provider': session.provider, 'switchboard.session': session.id, 'switchboard.provider_session': session.providerSessionId },
        (signal) => adapter.sessionTotals!(handle, life, signal),
      );
      await this.database.inTenant(tenantId, (tx) => this.metering.reconcileSession(tx, session, usage));
    } catch (error) {
      logger.warn({ err: error, sessionId, tenantId }, 'could not reconcile the ended session’s metering; its turn records stand');
    }
  }
}

