import { z } from 'zod';
import type { OidcConfig } from '#libs/config';
import { logger } from '../logging/logger.js';

/** What the console's page is told about signing in (GET /console/config.json): public values only. */
export const consoleConfigView = z
  .object({
    oidc: z
      .object({
        issuer: z.string(),
        clientId: z.string().describe('The console\'s public OIDC client (no secret: Authorization Code + PKCE)'),
        audience: z.string().describe('The audience the broker accepts: the console sends the token (access token, else ID token) issued for it'),
        authorizationEndpoint: z.string(),
        tokenEndpoint: z.string(),
        scopes: z.string().describe('Space-separated, as sent in `scope`'),
      })
      .nullable()
      .describe('null: the console signs in with API keys only'),
    oidcUnavailable: z.string().nullable().describe('Why OIDC sign-in is configured but cannot be offered now (the issuer\'s discovery document could not be read)'),
  })
  .meta({ id: 'ConsoleConfig' });
export type ConsoleConfigView = z.infer<typeof consoleConfigView>;

const discoveryDocument = z.looseObject({
  issuer: z.string(),
  authorization_endpoint: z.url({ protocol: /^https?$/ }),
  token_endpoint: z.url({ protocol: /^https?$/ }),
});

/** A failed discovery is tried again after this long; a successful one holds for the process. */
const retryDiscoveryMs = 30_000;

/**
 * The console's OIDC sign-in settings: configured endpoints, else the
 * issuer's discovery document (OpenID Connect Discovery 1.0 §4), read once.
 * They decide the page's `connect-src` too: the browser posts the code to the
 * token endpoint itself.
 */
export class ConsoleSignIn {
  private resolved: { at: number; view: ConsoleConfigView } | undefined;

  constructor(private readonly oidc: OidcConfig | undefined) {}

  async view(): Promise<ConsoleConfigView> {
    const client = this.oidc?.console;
    if (!this.oidc || !client) return { oidc: null, oidcUnavailable: null };
    if (this.resolved && (this.resolved.view.oidc || Date.now() - this.resolved.at < retryDiscoveryMs)) return this.resolved.view;
    let view: ConsoleConfigView;
    try {
      const endpoints =
        client.authorizationEndpoint && client.tokenEndpoint
          ? { authorizationEndpoint: client.authorizationEndpoint, tokenEndpoint: client.tokenEndpoint }
          : await this.discover();
      view = {
        oidc: {
          issuer: this.oidc.issuer,
          clientId: client.clientId,
          audience: this.oidc.audience,
          authorizationEndpoint: client.authorizationEndpoint ?? endpoints.authorizationEndpoint,
          tokenEndpoint: client.tokenEndpoint ?? endpoints.tokenEndpoint,
          scopes: client.scopes,
        },
        oidcUnavailable: null,
      };
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      logger.warn({ issuer: this.oidc.issuer, reason }, 'console sign-in: the issuer\'s discovery document could not be read');
      view = { oidc: null, oidcUnavailable: `the identity provider's discovery document could not be read: ${reason}` };
    }
    this.resolved = { at: Date.now(), view };
    return view;
  }

  /** The page's `connect-src`: this broker, and the token endpoint's origin when OIDC sign-in is on. */
  async connectSources(): Promise<string[]> {
    const { oidc } = await this.view();
    return oidc ? ["'self'", new URL(oidc.tokenEndpoint).origin] : ["'self'"];
  }

  private async discover(): Promise<{ authorizationEndpoint: string; tokenEndpoint: string }> {
    const issuer = this.oidc!.issuer;
    const url = `${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
    const response = await fetch(url, { signal: AbortSignal.timeout(5_000), headers: { accept: 'application/json' } });
    if (!response.ok) throw new Error(`${url} answered ${response.status}`);
    const parsed = discoveryDocument.safeParse(await response.json());
    if (!parsed.success) throw new Error(`${url} is not a discovery document: ${parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`);
    // §4.3: the document's issuer must be exactly the one configured (the one the tokens carry).
    if (parsed.data.issuer !== issuer) throw new Error(`${url} names issuer ${parsed.data.issuer}, not ${issuer}`);
    return { authorizationEndpoint: parsed.data.authorization_endpoint, tokenEndpoint: parsed.data.token_endpoint };
  }
}
