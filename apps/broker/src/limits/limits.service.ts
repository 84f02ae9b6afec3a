import { Inject, Injectable } from '@nestjs/common';
import type { AppConfig } from '#libs/config';
import { Database } from '#libs/persistence';
import { appConfigToken } from '../app.tokens.js';
import { appendAuditEvent } from '../audit/audit-log.js';
import { currentTenantPrincipal } from '../identity/principal.js';
import { LimitsRepository } from './limits.repository.js';
import type { EffectivePolicyView, Policy, PolicyUpdate } from './limits.schemas.js';
import { budgetMonth, effectivePolicy } from './policy.js';

/** The limits API (API.md §5): the tenant policy and per-user overrides, for the tenant's admins. */
@Injectable()
export class LimitsService {
  constructor(
    private readonly database: Database,
    @Inject(appConfigToken) private readonly config: AppConfig,
  ) {}

  async tenantPolicy(): Promise<Policy> {
    const { tenantId } = currentTenantPrincipal();
    return this.database.inTenant(tenantId, async (manager) => effectivePolicy(this.config, await new LimitsRepository(manager).tenantPolicy()));
  }

  async updateTenantPolicy(changes: PolicyUpdate): Promise<Policy> {
    const { tenantId } = currentTenantPrincipal();
    return this.database.inTenant(tenantId, async (manager) => {
      const stored = await new LimitsRepository(manager).updateTenantPolicy(tenantId, changes);
      await appendAuditEvent(manager, tenantId, { type: 'limits.changed', detail: { scope: 'tenant', changes } });
      return effectivePolicy(this.config, stored);
    });
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
      return {
        user: userId,
        policy: effectivePolicy(this.config, await limits.tenantPolicy(), override),
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

  async updateUserPolicy(userId: string, changes: PolicyUpdate): Promise<EffectivePolicyView> {
    const { tenantId } = currentTenantPrincipal();
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
