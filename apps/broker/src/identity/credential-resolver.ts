import { Inject, Injectable } from '@nestjs/common';
import type { AppConfig } from '#libs/config';
import { AppError, forbidden, invalidRequest, unauthenticated } from '#libs/errors';
import { Database } from '#libs/persistence';
import { tenantRoles, type Principal, type TenantRole } from '#libs/request-context';
import { ApiKeyRepository, findApiKeyByHash, type ApiKey } from '../api-keys/api-key.repository.js';
import { appConfigToken } from '../app.tokens.js';
import { appendAuditEvent } from '../audit/audit-log.js';
import { logger } from '../logging/logger.js';
import { ApiKeyCache } from './api-key-cache.js';
import type { RouteAccess } from '../http/route-spec.js';
import { TenantRepository } from '../tenants/tenant.repository.js';
import { apiKeyPrefix, hashApiKeySecret, sameHash } from './api-key-secret.js';
import { OidcVerifier } from './oidc-verifier.js';
import { OperatorKey } from './operator-key.js';
import { erasedUserPrefix, isWellFormedUserName, jwtUserId, jwtUserPrefix, takesErasedUserForm, takesJwtUserForm, userNameRule } from './user-id.js';

export interface PresentedCredentials {
  authorization: string | undefined;
  endUser: string | undefined;
}

/**
 * Turns the request's credentials into a Principal and checks it against a
 * route's access rule: 401 for a missing or bad credential, 403 for a role
 * the route does not admit, 400 for a misused `X-End-User`.
 */
@Injectable()
export class CredentialResolver {
  private readonly oidc: OidcVerifier | undefined;

  constructor(
    private readonly database: Database,
    private readonly operatorKey: OperatorKey,
    private readonly keyCache: ApiKeyCache,
    @Inject(appConfigToken) config: AppConfig,
  ) {
    this.oidc = config.oidc && new OidcVerifier(config.oidc);
  }

  async resolve(access: Exclude<RouteAccess, { kind: 'public' }>, presented: PresentedCredentials): Promise<Principal> {
    const match = /^Bearer[ ]+(\S+)\s*$/i.exec(presented.authorization ?? '');
    if (!match) throw unauthenticated('send Authorization: Bearer <credential>');
    const token = match[1];

    if (this.operatorKey.matches(token)) {
      if (access.kind === 'operator' || (access.kind === 'tenant' && access.operator)) {
        return { kind: 'operator', credential: { kind: 'operator_key', id: 'operator' } };
      }
      throw forbidden('the platform operator key may not call this route');
    }
    const principal = token.startsWith(apiKeyPrefix)
      ? await this.fromApiKey(token, presented.endUser)
      : await this.fromJwt(token, access, presented.endUser);
    if (access.kind === 'operator') throw forbidden('only the platform operator may call this route');
    if (!access.roles.includes(principal.role)) throw forbidden(`role ${principal.role} may not call this route`);
    if (access.endUser && principal.userId === undefined) {
      throw invalidRequest('this route acts for an end user', [
        { path: 'headers.x-end-user', message: 'required for app keys: the end user this call acts for (1-256 printable characters)' },
      ]);
    }
    return principal;
  }

  private async fromApiKey(secret: string, endUser: string | undefined): Promise<Principal & { kind: 'tenant' }> {
    const hash = hashApiKeySecret(secret);
    let key = this.keyCache.get(hash);
    if (!key) {
      key = await findApiKeyByHash(this.database, hash);
      if (key) this.keyCache.put(key);
    }
    if (!key || !sameHash(key.keyHash, hash) || key.revokedAt) throw unauthenticated('unknown or revoked API key');
    if (key.expiresAt && key.expiresAt.getTime() <= Date.now()) {
      if (!this.keyCache.expiryAudited(hash)) {
        await this.auditFirstExpiredUse(key);
        this.keyCache.markExpiryAudited(hash);
      }
      throw unauthenticated(key.replacedBy ? 'the API key was rotated and its grace period is over' : 'the API key expired');
    }
    if (this.keyCache.firstUseThisMinute(hash)) this.recordUse(key);
    if (endUser !== undefined && !isWellFormedUserName(endUser)) {
      throw invalidRequest('X-End-User is malformed', [{ path: 'headers.x-end-user', message: userNameRule }]);
    }
    if (endUser !== undefined && takesJwtUserForm(endUser)) {
      throw invalidRequest('X-End-User is in the namespace of JWT users', [
        { path: 'headers.x-end-user', message: `must not start with "${jwtUserPrefix}": those ids belong to users signed in with a JWT` },
      ]);
    }
    if (endUser !== undefined && takesErasedUserForm(endUser)) {
      throw invalidRequest('X-End-User is in the namespace of erased users', [
        { path: 'headers.x-end-user', message: `must not start with "${erasedUserPrefix}": those ids are pseudonyms of erased users` },
      ]);
    }
    return {
      kind: 'tenant',
      tenantId: key.tenantId,
      role: key.role,
      userId: key.role === 'app' || endUser !== undefined ? endUser : undefined,
      credential: { kind: 'api_key', id: key.id },
    };
  }

  /** `credential.expired`, once per key across replicas: when it is first refused. */
  private async auditFirstExpiredUse(key: ApiKey): Promise<void> {
    await this.database.inTenant(key.tenantId, async (tx) => {
      if (!(await new ApiKeyRepository(tx).claimExpiryAudit(key.id))) return;
      await appendAuditEvent(tx, key.tenantId, {
        type: 'credential.expired',
        actor: { kind: 'api_key', id: key.id },
        status: 401,
        detail: { keyId: key.id, role: key.role, name: key.name, expiresAt: key.expiresAt!.toISOString(), ...(key.replacedBy ? { replacedBy: key.replacedBy } : {}) },
      });
    });
  }

  /** `lastUsedAt`, off the request's path: a failed write costs the field a minute of precision, not the request. */
  private recordUse(key: ApiKey): void {
    this.database
      .inTenant(key.tenantId, (tx) => new ApiKeyRepository(tx).touch(key.id))
      .catch((error: unknown) => logger.warn({ err: error, keyId: key.id }, 'could not record the use of an API key'));
  }

  private async fromJwt(token: string, access: RouteAccess, endUser: string | undefined): Promise<Principal & { kind: 'tenant' }> {
    if (!this.oidc || token.split('.').length !== 3) throw unauthenticated('unknown credential');
    const jwt = await this.oidc.verify(token);
    const tenant = await this.database.inPlatform((manager) => new TenantRepository(manager).findByIdOrName(jwt.tenantClaim));
    if (!tenant) throw unauthenticated('the token names an unknown tenant');
    if (endUser !== undefined) {
      throw invalidRequest('a JWT already names its user', [
        { path: 'headers.x-end-user', message: 'must not be sent with a JWT: the user is the token subject' },
      ]);
    }
    return {
      kind: 'tenant',
      tenantId: tenant.id,
      role: this.pickRole(jwt.roles, access),
      userId: jwtUserId(jwt.subject),
      credential: { kind: 'jwt', id: jwt.tokenId },
    };
  }

  /** `app` unless the roles claim says otherwise; with several roles, the one this route admits. */
  private pickRole(claimed: string[], access: RouteAccess): TenantRole {
    const known = claimed.filter((role): role is TenantRole => (tenantRoles as readonly string[]).includes(role));
    if (known.length === 0) {
      if (claimed.length > 0) throw new AppError('forbidden', 'the token carries no Switchboard role');
      return 'app';
    }
    return (access.kind === 'tenant' && known.find((role) => access.roles.includes(role))) || known[0];
  }
}
