import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';

/** What /authorize was asked, as the browser sent it. */
export interface AuthorizeRequest {
  clientId: string;
  redirectUri: string;
  responseType: string;
  scope: string;
  state: string;
  nonce: string;
  codeChallenge: string;
  codeChallengeMethod: string;
}

/** What /token was sent, and whether the PKCE verifier matched the challenge. */
export interface TokenRequest {
  form: Record<string, string>;
  origin: string | undefined;
  verifierMatched: boolean;
}

/**
 * The user the next sign-in is for, and how the provider misbehaves (for the
 * refusals the console must show): `deny` answers the callback with
 * `error=access_denied`, `wrongState` returns another state, `forgetChallenge`
 * checks the verifier against another challenge (so /token says invalid_grant).
 */
export interface NextSignIn {
  claims: Record<string, unknown>;
  deny?: boolean;
  wrongState?: boolean;
  forgetChallenge?: boolean;
}

/**
 * A small OpenID provider on loopback for browser tests: a discovery document,
 * an /authorize that signs the next user in at once (302 back to redirect_uri
 * with a code and the state), a CORS-enabled /token that redeems a code once
 * when its PKCE verifier hashes (S256) to the challenge, and a JWKS. Tokens are
 * RS256 JWTs signed with jose: an access token for `audience` and an ID token
 * for the client, carrying the nonce.
 */
export class TestOidcProvider {
  readonly authorizeRequests: AuthorizeRequest[] = [];
  readonly tokenRequests: TokenRequest[] = [];
  next: NextSignIn = { claims: {} };
  issuer = '';
  private keys!: { privateKey: CryptoKey; jwk: Record<string, unknown> };
  private readonly codes = new Map<string, { request: AuthorizeRequest; claims: Record<string, unknown>; challenge: string }>();
  private readonly server: Server = createServer((request, response) => void this.handle(request, response));

  constructor(
    readonly clientId: string,
    readonly audience: string,
  ) {}

  async start(): Promise<this> {
    const { publicKey, privateKey } = await generateKeyPair('RS256');
    this.keys = { privateKey, jwk: { ...(await exportJWK(publicKey)), kid: 'console-test', alg: 'RS256', use: 'sig' } };
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.issuer = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  get jwksUrl(): string {
    return `${this.issuer}/jwks`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', this.issuer);
    const json = (status: number, body: unknown, headers: Record<string, string> = {}): void => {
      response.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers }).end(JSON.stringify(body));
    };
    if (url.pathname === '/.well-known/openid-configuration') {
      return json(200, {
        issuer: this.issuer,
        authorization_endpoint: `${this.issuer}/authorize`,
        token_endpoint: `${this.issuer}/token`,
        jwks_uri: this.jwksUrl,
        response_types_supported: ['code'],
        code_challenge_methods_supported: ['S256'],
        token_endpoint_auth_methods_supported: ['none'],
      });
    }
    if (url.pathname === '/jwks') return json(200, { keys: [this.keys.jwk] });
    if (url.pathname === '/authorize' && request.method === 'GET') return this.authorize(url, response);
    if (url.pathname === '/token') return this.token(request, response, json);
    json(404, { error: 'not_found' });
  }

  private authorize(url: URL, response: ServerResponse): void {
    const get = (name: string) => url.searchParams.get(name) ?? '';
    const request: AuthorizeRequest = {
      clientId: get('client_id'),
      redirectUri: get('redirect_uri'),
      responseType: get('response_type'),
      scope: get('scope'),
      state: get('state'),
      nonce: get('nonce'),
      codeChallenge: get('code_challenge'),
      codeChallengeMethod: get('code_challenge_method'),
    };
    this.authorizeRequests.push(request);
    const next = this.next;
    const back = new URL(request.redirectUri);
    if (request.clientId !== this.clientId) back.searchParams.set('error', 'unauthorized_client');
    else if (next.deny) back.searchParams.set('error', 'access_denied');
    else if (request.responseType !== 'code' || request.codeChallengeMethod !== 'S256' || !request.codeChallenge) back.searchParams.set('error', 'invalid_request');
    else {
      const code = randomBytes(16).toString('hex');
      const challenge = next.forgetChallenge ? createHash('sha256').update('another verifier').digest('base64url') : request.codeChallenge;
      this.codes.set(code, { request, claims: next.claims, challenge });
      back.searchParams.set('code', code);
    }
    if (back.searchParams.has('error')) back.searchParams.set('error_description', 'the test provider said no');
    back.searchParams.set('state', next.wrongState ? 'not-the-state-you-sent' : request.state);
    response.writeHead(302, { location: back.toString() }).end();
  }

  private async token(request: IncomingMessage, response: ServerResponse, json: (status: number, body: unknown, headers?: Record<string, string>) => void): Promise<void> {
    // A public client's token request from the console's origin: CORS, no credentials.
    const cors = { 'access-control-allow-origin': String(request.headers.origin ?? '*'), vary: 'origin' };
    if (request.method === 'OPTIONS') {
      response.writeHead(204, { ...cors, 'access-control-allow-methods': 'POST', 'access-control-allow-headers': 'content-type, accept' }).end();
      return;
    }
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const form = Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString('utf8')));
    const issued = this.codes.get(form.code ?? '');
    this.codes.delete(form.code ?? '');
    const verifierMatched = issued !== undefined && createHash('sha256').update(form.code_verifier ?? '').digest('base64url') === issued.challenge;
    this.tokenRequests.push({ form, origin: request.headers.origin, verifierMatched });
    const refuse = (description: string) => json(400, { error: 'invalid_grant', error_description: description }, cors);
    if (form.grant_type !== 'authorization_code') return json(400, { error: 'unsupported_grant_type' }, cors);
    if (!issued) return refuse('unknown or used code');
    if (form.client_id !== this.clientId || form.redirect_uri !== issued.request.redirectUri) return refuse('client or redirect_uri differs from the authorization request');
    if (!/^[A-Za-z0-9._~-]{43,128}$/.test(form.code_verifier ?? '')) return refuse('code_verifier is not 43-128 unreserved characters');
    if (!verifierMatched) return refuse('code_verifier does not match the code_challenge');
    const sign = (claims: Record<string, unknown>, audience: string) =>
      new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: 'console-test' }).setIssuer(this.issuer).setAudience(audience).setIssuedAt().setExpirationTime('10m').sign(this.keys.privateKey);
    json(
      200,
      {
        token_type: 'Bearer',
        expires_in: 600,
        access_token: await sign({ ...issued.claims, scope: issued.request.scope }, this.audience),
        id_token: await sign({ ...issued.claims, nonce: issued.request.nonce }, this.clientId),
      },
      cors,
    );
  }
}
