import { createRemoteJWKSet, errors as joseErrors, jwtVerify } from 'jose';
import type { OidcConfig } from '#libs/config';
import { unauthenticated } from '#libs/errors';

export interface VerifiedJwt {
  subject: string;
  tenantClaim: string;
  roles: string[];
  tokenId: string;
}

/** Verifies OIDC access tokens against the issuer's JWKS (fetched and cached by jose). */
export class OidcVerifier {
  private readonly keys;

  constructor(private readonly config: OidcConfig) {
    this.keys = createRemoteJWKSet(new URL(config.jwksUrl), { cooldownDuration: 30_000, timeoutDuration: 5_000 });
  }

  async verify(token: string): Promise<VerifiedJwt> {
    let payload;
    try {
      ({ payload } = await jwtVerify(token, this.keys, { issuer: this.config.issuer, audience: this.config.audience }));
    } catch (error) {
      if (error instanceof joseErrors.JOSEError) throw unauthenticated(`the token was rejected: ${error.code}`);
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
