import { Injectable } from '@nestjs/common';
import { conflict, notFound } from '#libs/errors';
import { newId } from '#libs/ids';
import { Database } from '#libs/persistence';
import { appendAuditEvent } from '../audit/audit-log.js';
import { decodeCursor, pageFromRows, type Page } from '../http/pagination.js';
import { currentTenantPrincipal } from '../identity/principal.js';
import { TenantRepository } from '../tenants/tenant.repository.js';
import { TargetGrantRepository, type TargetGrant } from './target-grant.repository.js';
import type { CreateTargetGrantBody, TargetGrantView } from './target-grant.schemas.js';

const toView = (grant: TargetGrant): TargetGrantView => ({
  id: grant.id,
  tenantId: grant.tenantId,
  provider: grant.provider as TargetGrantView['provider'],
  kind: grant.kind,
  value: grant.value,
  createdAt: grant.createdAt.toISOString(),
});

/** The operator's grants of provider scopes to tenants; every change is in the tenant's audit chain. */
@Injectable()
export class TargetGrantsService {
  constructor(private readonly database: Database) {}

  async grant(tenantId: string, body: CreateTargetGrantBody): Promise<TargetGrantView> {
    return this.database.inPlatform(async (manager) => {
      if (!(await new TenantRepository(manager).findById(tenantId))) throw notFound('tenant');
      const grant = await new TargetGrantRepository(manager).insert({ id: newId('tgr'), tenantId, ...body });
      if (!grant) throw conflict('grant_exists', `the tenant already holds ${body.provider} ${body.kind} ${body.value}`);
      await appendAuditEvent(manager, tenantId, {
        type: 'target.granted',
        provider: grant.provider,
        detail: { grantId: grant.id, provider: grant.provider, kind: grant.kind, value: grant.value },
      });
      return toView(grant);
    });
  }

  async list(tenantId: string, limit: number, cursor: string | undefined): Promise<Page<TargetGrantView>> {
    const rows = await this.database.inPlatform(async (manager) => {
      if (!(await new TenantRepository(manager).findById(tenantId))) throw notFound('tenant');
      return new TargetGrantRepository(manager).listAfter(tenantId, decodeCursor(cursor), limit);
    });
    const page = pageFromRows(rows, limit);
    return { data: page.data.map(toView), nextCursor: page.nextCursor };
  }

  /** A tenant admin's read of its own grants: what its agents may target. */
  async listOwn(limit: number, cursor: string | undefined): Promise<Page<TargetGrantView>> {
    const { tenantId } = currentTenantPrincipal();
    const rows = await this.database.inTenant(tenantId, (manager) => new TargetGrantRepository(manager).listAfter(tenantId, decodeCursor(cursor), limit));
    const page = pageFromRows(rows, limit);
    return { data: page.data.map(toView), nextCursor: page.nextCursor };
  }

  /** Agents already stored against the scope keep it in their targets, and can no longer start sessions. */
  async revoke(tenantId: string, grantId: string): Promise<void> {
    await this.database.inPlatform(async (manager) => {
      const grant = await new TargetGrantRepository(manager).delete(tenantId, grantId);
      if (!grant) throw notFound('target grant');
      await appendAuditEvent(manager, tenantId, {
        type: 'target.revoked',
        provider: grant.provider,
        detail: { grantId: grant.id, provider: grant.provider, kind: grant.kind, value: grant.value },
      });
    });
  }
}
