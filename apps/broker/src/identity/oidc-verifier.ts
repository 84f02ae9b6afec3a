import type { OidcConfig } from '#libs/config';
import { unauthenticated } from '#libs/errors';
import { isWellFormedUserName, userNameRule } from './user-id.js';

export interface VerifiedJwt {
  subject: string;
  tenantClaim: string;
  roles: string[];
  tokenId: string;
}

type Jose = typeof import('jose');

/**
 * Verifies OIDC access tokens against the issuer's JWKS (fetched and cached by
 * jose). jose loads on the first token, so a broker without OIDC never holds it.
 *
 * Token times: `exp` is required; a token may live at most
 * `maxTokenLifetimeSeconds` (`exp - iat`, or `exp - now` without `iat`); an
 * `iat` older than that, or an `iat`/`nbf` in the future, is refused; every
 * time check allows `clockSkewSeconds` either way.
 */
export class OidcVerifier {
  private verifier: Promise<{ jose: Jose; keys: ReturnType<Jose['createRemoteJWKSet']> }> | undefined;

  constructor(private readonly config: OidcConfig) {}

  async verify(token: string): Promise<VerifiedJwt> {
    this.verifier ??= import('jose').then((jose) => ({
      jose,
      keys: jose.createRemoteJWKSet(new URL(this.config.jwksUrl), { cooldownDuration: 30_000, timeoutDuration: 5_000 }),
    }));
    const { jose, keys } = await this.verifier;
    const { maxTokenLifetimeSeconds: maxLifetime, clockSkewSeconds: skew } = this.config;
    let payload;
    try {
      // jose checks `iat` (too old, or in the future) only under maxTokenAge, which also makes `iat` required;
      // a token without `iat` is allowed, so the option is given only to tokens that carry one.
      const hasIssuedAt = jose.decodeJwt(token).iat !== undefined;
      ({ payload } = await jose.jwtVerify(token, keys, {
        issuer: this.config.issuer,
        audience: this.config.audience,
        requiredClaims: ['exp'],
        clockTolerance: skew,
        ...(hasIssuedAt ? { maxTokenAge: maxLifetime } : {}),
      }));
    } catch (error) {
      if (error instanceof jose.errors.JOSEError) throw unauthenticated(`the token was rejected (${error.code}): ${error.message}`);
      throw error;
    }
    // jose bounds a token's age, not its lifetime: a token minted now that expires in a year passes its checks.
    const lifetime = payload.exp! - (payload.iat ?? Math.floor(Date.now() / 1000));
    // Without `iat` the lifetime is measured on our clock, so the skew allowance applies.
    if (lifetime > maxLifetime + (payload.iat === undefined ? skew : 0)) {
      throw unauthenticated(`the token was rejected: it is valid for ${lifetime} s, longer than the ${maxLifetime} s this broker accepts`);
    }
    const tenantClaim = payload[this.config.tenantClaim];
    if (typeof payload.sub !== 'string' || payload.sub.length === 0) throw unauthenticated('the token has no subject');
    // The same rule as X-End-User: the subject becomes a stored user id. A bad one is the credential's fault, not the request's.
    if (!isWellFormedUserName(payload.sub)) throw unauthenticated(`the token subject is not a usable user id: it ${userNameRule}`);
    if (typeof tenantClaim !== 'string' || tenantClaim.length === 0) {
      throw unauthenticated(`the token has no ${this.config.tenantClaim} claim`);
    }
    // Tenant ids and names are printable too; anything else names no tenant (and must not reach a query).
    if (!isWellFormedUserName(tenantClaim)) throw unauthenticated('the token names an unknown tenant');
    // The token id is stored as the actor of every audit record the request writes.
    if (payload.jti !== undefined && (typeof payload.jti !== 'string' || !isWellFormedUserName(payload.jti))) {
      throw unauthenticated(`the token id (jti) is not usable: it ${userNameRule}`);
    }
    const rawRoles = this.config.rolesClaim ? payload[this.config.rolesClaim] : undefined;
    const roles = typeof rawRoles === 'string' ? rawRoles.split(/[\s,]+/) : Array.isArray(rawRoles) ? rawRoles.map(String) : [];
    return {
      subject: payload.sub,
      tenantClaim,
      roles,
      tokenId: typeof payload.jti === 'string' ? payload.jti : `${payload.iss ?? ''}#${payload.sub}`,
    };
  }
}
