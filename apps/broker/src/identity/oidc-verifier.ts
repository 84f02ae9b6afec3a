import type { OidcConfig } from '#libs/config';
import { unauthenticated } from '#libs/errors';

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
    let payload;
    try {
      ({ payload } = await jose.jwtVerify(token, keys, { issuer: this.config.issuer, audience: this.config.audience }));
    } catch (error) {
      if (error instanceof jose.errors.JOSEError) throw unauthenticated(`the token was rejected: ${error.code}`);
      throw error;
    }
    const tenantClaim = payload[this.config.tenantClaim];
    if (typeof payload.sub !== 'string' || payload.sub.length === 0) throw unauthenticated('the token has no subject');
    if (typeof tenantClaim !== 'string' || tenantClaim.length === 0) {
      throw unauthenticated(`the token has no ${this.config.tenantClaim} claim`);
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
