import { Inject, Injectable } from '@nestjs/common';
import type { AppConfig } from '#libs/config';
import { invalidRequest, notFound } from '#libs/errors';
import { Database } from '#libs/persistence';
import type { ProviderId, TargetCheck } from '#libs/runtime-spec';
import { appConfigToken } from '../app.tokens.js';
import { currentTenantPrincipal } from '../identity/principal.js';
import { logger } from '../logging/logger.js';
import { RuntimeRegistry } from '../runtimes/runtime-registry.js';
import type { AgentCheckView, TargetCheckView } from './agent.schemas.js';
import { findOwnAgent } from './agents.service.js';
import { targetIdentityProblems } from './target-identities.js';

/**
 * `POST /v1/agents/{id}/check` (API.md §3): asks each target's runtime,
 * all at once and each within the call timeout, whether the target exists
 * and can serve. Never opens a session; a runtime that cannot answer is
 * reported in its entry, never as the route's own failure.
 */
@Injectable()
export class AgentTargetChecks {
  constructor(
    private readonly database: Database,
    private readonly registry: RuntimeRegistry,
    @Inject(appConfigToken) private readonly config: AppConfig,
  ) {}

  async check(id: string): Promise<AgentCheckView> {
    const { tenantId } = currentTenantPrincipal();
    // The agent is read in its own short transaction: no connection is held while providers answer.
    const agent = await this.database.inTenant(tenantId, (tx) => findOwnAgent(tx, tenantId, id, 'check'));
    if (!agent) throw notFound('agent');
    // An identity the operator has since removed from the configuration: nothing to check it with.
    const identityProblems = targetIdentityProblems(this.config.identities, agent.targets, 'targets');
    if (identityProblems.length > 0) throw invalidRequest('the agent names an identity this broker does not hold; update the agent', identityProblems);
    const entries = await Promise.all(
      Object.entries(agent.targets).map(async ([provider, target]) => [provider, await this.checkOne(provider as ProviderId, target)] as const),
    );
    return { targets: Object.fromEntries(entries) };
  }

  private async checkOne(provider: ProviderId, target: unknown): Promise<TargetCheckView> {
    const adapter = this.registry.get(provider);
    if (!adapter) return { ok: false, code: 'provider_unavailable', detail: `the ${provider} runtime is not registered on this broker` };
    if (!adapter.checkTarget) return { ok: false, code: 'unchecked', detail: `the ${provider} runtime offers no way to check a target` };
    try {
      return await adapter.checkTarget(target, AbortSignal.timeout(this.config.runtimes.callTimeoutMs));
    } catch (error) {
      // The contract says checkTarget answers every provider failure; a throw is an adapter bug, still reported per target.
      logger.error({ provider, err: error }, 'checkTarget threw');
      return { ok: false, code: 'provider_unavailable', detail: `the ${provider} check failed: ${(error as Error)?.message ?? String(error)}` } satisfies TargetCheck;
    }
  }
}
