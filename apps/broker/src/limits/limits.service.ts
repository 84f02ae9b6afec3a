import { Inject, Injectable } from '@nestjs/common';
import type { AppConfig } from '#libs/config';
import { Database } from '#libs/persistence';
import { appConfigToken } from '../app.tokens.js';
import { appendAuditEvent } from '../audit/audit-log.js';
import { currentTenantPrincipal } from '../identity/principal.js';
import { LimitsRepository } from './limits.repository.js';
import type { StoredPolicy } from './limits.repository.js';
import type { EffectivePolicyView, PolicyUpdate, TenantPolicyView } from './limits.schemas.js';
import { aboveCeiling, budgetMonth, resolvePolicy } from './policy.js';

/** The limits API (API.md §5): the tenant policy and per-user overrides, for the tenant's admins. */
@Injectable()
export class LimitsService {
  constructor(
    private readonly database: Database,
    @Inject(appConfigToken) private readonly config: AppConfig,
  ) {}

  async tenantPolicy(): Promise<TenantPolicyView> {
    const { tenantId } = currentTenantPrincipal();
    return this.database.inTenant(tenantId, async (manager) => this.tenantView(await new LimitsRepository(manager).tenantPolicy()));
  }

  async updateTenantPolicy(body: PolicyUpdate): Promise<TenantPolicyView> {
    const { tenantId } = currentTenantPrincipal();
    const changes = this.admissible(body);
    return this.database.inTenant(tenantId, async (manager) => {
      const stored = await new LimitsRepository(manager).updateTenantPolicy(tenantId, changes);
      await appendAuditEvent(manager, tenantId, { type: 'limits.changed', detail: { scope: 'tenant', changes } });
      return this.tenantView(stored);
    });
  }

  /** The policy fields of a PUT body (the read-only view fields dropped), refused when one is above its ceiling. */
  private admissible(body: PolicyUpdate): StoredPolicy {
    const { sources: _sources, platform: _platform, ...changes } = body as PolicyUpdate & { sources?: unknown; platform?: unknown };
    const refusal = aboveCeiling(this.config, changes);
    if (refusal) throw refusal;
    return changes;
  }

  private tenantView(stored: StoredPolicy): TenantPolicyView {
    const { policy, sources } = resolvePolicy(this.config, stored);
    return { ...policy, sources, platform: { ...this.config.limits.platform, maxOpenStreamsPerReplica: this.config.limits.maxOpenStreamsPerReplica } };
  }

  async userPolicy(userId: string): Promise<EffectivePolicyView> {
    const { tenantId } = currentTenantPrincipal();
    return this.database.inTenant(tenantId, async (manager) => {
      const limits = new LimitsRepository(manager);
      const override = await limits.userPolicy(userId);
      const month = budgetMonth();
      const [live, creates, turns, ledger] = [
        await limits.liveSessions(tenantId, userId),
        await limits.windowCount(userId, 'session_create'),
        await limits.windowCount(userId, 'turn'),
        await limits.ledger(userId, month),
      ];
      const { policy, sources } = resolvePolicy(this.config, await limits.tenantPolicy(), override);
      return {
        user: userId,
        policy,
        sources,
        overrides: Object.keys(override).sort(),
        usage: {
          activeSessions: live.user,
          sessionCreatesThisMinute: creates,
          turnsThisMinute: turns,
          monthSpentUsd: trimDecimal(ledger.spent),
          monthReservedUsd: trimDecimal(ledger.reserved),
        },
      };
    });
  }

  async updateUserPolicy(userId: string, body: PolicyUpdate): Promise<EffectivePolicyView> {
    const { tenantId } = currentTenantPrincipal();
    const changes = this.admissible(body);
    await this.database.inTenant(tenantId, async (manager) => {
      await new LimitsRepository(manager).updateUserPolicy(tenantId, userId, changes);
      await appendAuditEvent(manager, tenantId, { type: 'limits.changed', user: userId, detail: { scope: 'user', changes } });
    });
    return this.userPolicy(userId);
  }

  async removeUserPolicy(userId: string): Promise<EffectivePolicyView> {
    const { tenantId } = currentTenantPrincipal();
    await this.database.inTenant(tenantId, async (manager) => {
      await new LimitsRepository(manager).deleteUserPolicy(userId);
      await appendAuditEvent(manager, tenantId, { type: 'limits.changed', user: userId, detail: { scope: 'user', removed: true } });
    });
    return this.userPolicy(userId);
  }
}

const trimDecimal = (value: string) => (value.includes('.') ? value.replace(/\.?0+$/, '') : value) || '0';
