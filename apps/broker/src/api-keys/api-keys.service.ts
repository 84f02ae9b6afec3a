import { Injectable } from '@nestjs/common';
import { notFound } from '#libs/errors';
import { newId } from '#libs/ids';
import { Database, type Transaction } from '#libs/persistence';
import type { TenantRole } from '#libs/request-context';
import { appendAuditEvent } from '../audit/audit-log.js';
import { decodeCursor, pageFromRows, type Page } from '../http/pagination.js';
import { mintApiKeySecret, storedFormOf } from '../identity/api-key-secret.js';
import { currentPrincipal, currentTenantPrincipal } from '../identity/principal.js';
import { TenantRepository } from '../tenants/tenant.repository.js';
import { ApiKeyRepository, type ApiKey } from './api-key.repository.js';
import type { ApiKeyView, CreatedApiKeyView } from './api-key.schemas.js';

const toView = (key: ApiKey): ApiKeyView => ({
  id: key.id,
  tenantId: key.tenantId,
  role: key.role,
  name: key.name,
  keyPrefix: key.keyPrefix,
  keyLast4: key.keyLast4,
  createdAt: key.createdAt.toISOString(),
  revokedAt: key.revokedAt?.toISOString() ?? null,
});

/** API keys: created by the operator for any tenant, or by a tenant admin for its own tenant. */
@Injectable()
export class ApiKeysService {
  constructor(private readonly database: Database) {}

  /** Operator: a key for the named tenant (404 if it does not exist). */
  createForTenant(tenantId: string, input: { role: TenantRole; name: string }): Promise<CreatedApiKeyView> {
    return this.database.inPlatform(async (tx) => {
      if (!(await new TenantRepository(tx).findById(tenantId))) throw notFound('tenant');
      return this.insert(tx, tenantId, input);
    });
  }

  /** Tenant admin: a key for the caller's own tenant. */
  createOwn(input: { role: TenantRole; name: string }): Promise<CreatedApiKeyView> {
    const { tenantId } = currentTenantPrincipal();
    return this.database.inTenant(tenantId, (tx) => this.insert(tx, tenantId, input));
  }

  async listOwn(limit: number, cursor: string | undefined): Promise<Page<ApiKeyView>> {
    const { tenantId } = currentTenantPrincipal();
    const rows = await this.database.inTenant(tenantId, (tx) => new ApiKeyRepository(tx).listAfter(decodeCursor(cursor), limit));
    const page = pageFromRows(rows, limit);
    return { data: page.data.map(toView), nextCursor: page.nextCursor };
  }

  /**
   * Revokes a key; revoking it again returns it unchanged. For a tenant
   * admin, another tenant's key does not exist: 404, and the attempt is
   * audited as `access.denied`.
   */
  async revoke(keyId: string): Promise<ApiKeyView> {
    const principal = currentPrincipal();
    const work = async (tx: Transaction) => {
      const keys = new ApiKeyRepository(tx);
      const existing = await keys.findById(keyId);
      if (!existing) {
        if (principal.kind === 'tenant') {
          await appendAuditEvent(tx, principal.tenantId, {
            type: 'access.denied',
            user: principal.userId,
            detail: { resource: 'api_key', id: keyId, action: 'revoke' },
          });
        }
        return undefined;
      }
      const revoked = (await keys.markRevoked(keyId))!;
      if (!existing.revokedAt) {
        await appendAuditEvent(tx, existing.tenantId, {
          type: 'credential.revoked',
          detail: { keyId, role: existing.role, name: existing.name },
        });
      }
      return revoked;
    };
    const revoked = principal.kind === 'operator' ? await this.database.inPlatform(work) : await this.database.inTenant(principal.tenantId, work);
    if (!revoked) throw notFound('API key');
    return toView(revoked);
  }

  private async insert(tx: Transaction, tenantId: string, input: { role: TenantRole; name: string }): Promise<CreatedApiKeyView> {
    const secret = mintApiKeySecret();
    const key = await new ApiKeyRepository(tx).insert({
      id: newId('key'),
      tenantId,
      name: input.name,
      role: input.role,
      ...storedFormOf(secret),
    });
    await appendAuditEvent(tx, tenantId, {
      type: 'credential.created',
      detail: { keyId: key.id, role: key.role, name: key.name },
    });
    return { ...toView(key), key: secret };
  }
}
