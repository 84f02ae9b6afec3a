import { Injectable } from '@nestjs/common';
import { conflict, invalidRequest, notFound } from '#libs/errors';
import { newId } from '#libs/ids';
import { Database, type Transaction } from '#libs/persistence';
import type { TenantRole } from '#libs/request-context';
import { appendAuditEvent } from '../audit/audit-log.js';
import { decodeCursor, pageFromRows, type Page } from '../http/pagination.js';
import { mintApiKeySecret, storedFormOf } from '../identity/api-key-secret.js';
import { ApiKeyCache } from '../identity/api-key-cache.js';
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
  expiresAt: key.expiresAt?.toISOString() ?? null,
  lastUsedAt: key.lastUsedAt?.toISOString() ?? null,
  replacedBy: key.replacedBy,
});

interface NewKey {
  role: TenantRole;
  name: string;
  expiresAt?: string;
}

/** API keys: created by the operator for any tenant, or by a tenant admin for its own tenant. */
@Injectable()
export class ApiKeysService {
  constructor(
    private readonly database: Database,
    private readonly keyCache: ApiKeyCache,
  ) {}

  /** Operator: a key for the named tenant (404 if it does not exist). */
  createForTenant(tenantId: string, input: NewKey): Promise<CreatedApiKeyView> {
    return this.database.inPlatform(async (tx) => {
      if (!(await new TenantRepository(tx).findById(tenantId))) throw notFound('tenant');
      return this.insert(tx, tenantId, input);
    });
  }

  /** Tenant admin: a key for the caller's own tenant. */
  createOwn(input: NewKey): Promise<CreatedApiKeyView> {
    const { tenantId } = currentTenantPrincipal();
    return this.database.inTenant(tenantId, (tx) => this.insert(tx, tenantId, input));
  }

  /** A tenant admin lists its own tenant's keys; the operator names the tenant. */
  async list(limit: number, cursor: string | undefined, tenant: string | undefined): Promise<Page<ApiKeyView>> {
    const principal = currentPrincipal();
    const tenantId = principal.kind === 'tenant' ? principal.tenantId : tenant;
    if (!tenantId) throw invalidRequest('the platform operator names the tenant', [{ path: 'query.tenant', message: 'required for the platform operator' }]);
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
      this.keyCache.forget(keyId);
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

  /**
   * A new secret for the key's role and name (API.md §1): the old key keeps
   * working for the grace period, then answers 401. Only a live key that
   * was not rotated yet rotates (409 otherwise); another tenant's key is
   * 404 for a tenant admin.
   */
  async rotate(keyId: string, input: { graceSeconds: number; expiresAt?: string }): Promise<CreatedApiKeyView> {
    const principal = currentPrincipal();
    const work = async (tx: Transaction) => {
      const keys = new ApiKeyRepository(tx);
      const existing = await keys.findById(keyId);
      if (!existing) {
        if (principal.kind === 'tenant') {
          await appendAuditEvent(tx, principal.tenantId, { type: 'access.denied', user: principal.userId, detail: { resource: 'api_key', id: keyId, action: 'rotate' } });
        }
        return undefined;
      }
      const created = await this.insertKey(tx, existing.tenantId, { role: existing.role, name: existing.name, expiresAt: input.expiresAt });
      const retired = await keys.retire(keyId, created.id, input.graceSeconds);
      if (!retired) {
        throw conflict('key_not_rotatable', existing.replacedBy ? `the key was rotated already (to ${existing.replacedBy})` : 'a revoked or expired key cannot be rotated');
      }
      this.keyCache.forget(keyId);
      await appendAuditEvent(tx, existing.tenantId, {
        type: 'credential.rotated',
        detail: { keyId, newKeyId: created.id, role: existing.role, name: existing.name, graceSeconds: input.graceSeconds, oldKeyExpiresAt: retired.expiresAt?.toISOString() },
      });
      return created;
    };
    const rotated = principal.kind === 'operator' ? await this.database.inPlatform(work) : await this.database.inTenant(principal.tenantId, work);
    if (!rotated) throw notFound('API key');
    return rotated;
  }

  private async insert(tx: Transaction, tenantId: string, input: NewKey): Promise<CreatedApiKeyView> {
    const created = await this.insertKey(tx, tenantId, input);
    await appendAuditEvent(tx, tenantId, {
      type: 'credential.created',
      detail: { keyId: created.id, role: created.role, name: created.name, ...(created.expiresAt ? { expiresAt: created.expiresAt } : {}) },
    });
    return created;
  }

  private async insertKey(tx: Transaction, tenantId: string, input: NewKey): Promise<CreatedApiKeyView> {
    const secret = mintApiKeySecret();
    const key = await new ApiKeyRepository(tx).insert({
      id: newId('key'),
      tenantId,
      name: input.name,
      role: input.role,
      ...storedFormOf(secret),
      expiresAt: input.expiresAt ? new Date(input.expiresAt) : null,
    });
    return { ...toView(key), key: secret };
  }
}
