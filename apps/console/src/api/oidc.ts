import { ApiError, type View } from './client.js';

/** The console's OIDC client as the broker describes it (GET /console/config.json); null: API keys only. */
export type OidcClient = NonNullable<View<'getConsoleConfig'>['oidc']>;

/** Where the identity provider sends the browser back: register `<console origin>/console/callback` as the client's redirect URI. */
export const callbackPath = '/console/callback';
export const isCallback = () => location.pathname === callbackPath;

/**
 * What this tab remembers between leaving for the identity provider and coming
 * back: the PKCE verifier, state and nonce (one sign-in, used once), in
 * sessionStorage only, like the credential.
 */
const pendingKey = 'switchboard.oidc.pending';
interface Pending {
  state: string;
  nonce: string;
  verifier: string;
  client: OidcClient;
  redirectUri: string;
  returnTo: string;
}

const fail = (title: string, detail: string): never => {
  throw new ApiError({ title, status: 0, detail });
};

const base64url = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
/** `bytes` random bytes as base64url: 32 bytes make a 43-character PKCE verifier (RFC 7636 §4.1). */
const randomText = (bytes: number) => base64url(crypto.getRandomValues(new Uint8Array(bytes)));

/** RFC 7636 §4.2, S256: BASE64URL(SHA256(ASCII(code_verifier))). */
async function challengeOf(verifier: string): Promise<string> {
  return base64url(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier))));
}

/** Leaves for the identity provider's authorization endpoint (Authorization Code + PKCE, a public client). */
export async function startSignIn(client: OidcClient): Promise<void> {
  const pending: Pending = {
    state: randomText(16),
    nonce: randomText(16),
    verifier: randomText(32),
    client,
    redirectUri: `${location.origin}${callbackPath}`,
    returnTo: location.pathname === callbackPath ? '/console/' : location.pathname,
  };
  const url = new URL(client.authorizationEndpoint);
  const parameters: Record<string, string> = {
    response_type: 'code',
    client_id: client.clientId,
    redirect_uri: pending.redirectUri,
    scope: client.scopes,
    state: pending.state,
    nonce: pending.nonce,
    code_challenge: await challengeOf(pending.verifier),
    code_challenge_method: 'S256',
  };
  for (const [name, value] of Object.entries(parameters)) url.searchParams.set(name, value);
  sessionStorage.setItem(pendingKey, JSON.stringify(pending));
  location.assign(url.toString());
}

/** Forgets a sign-in in progress (sign-out). */
export const forgetSignIn = () => sessionStorage.removeItem(pendingKey);

/** A JWT's claims, unverified: the broker verifies the token; the console only picks which one to send. */
function claimsOf(token: unknown): Record<string, unknown> | undefined {
  if (typeof token !== 'string' || token.split('.').length !== 3) return undefined;
  try {
    const json = atob(token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/'));
    return JSON.parse(new TextDecoder().decode(Uint8Array.from(json, (char) => char.charCodeAt(0)))) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}
const isFor = (claims: Record<string, unknown> | undefined, audience: string) =>
  claims !== undefined && (claims.aud === audience || (Array.isArray(claims.aud) && claims.aud.includes(audience)));

/**
 * Back from the identity provider at /console/callback: checks `state`, redeems
 * the code with the PKCE verifier at the token endpoint, and returns the token
 * to sign in with: the access token when it is a JWT for the broker's audience
 * (OIDC_AUDIENCE), else the ID token when it is (the audience is then the
 * console's client id). Every failure throws a problem saying which step failed.
 */
export async function finishSignIn(search: string): Promise<{ token: string; returnTo: string }> {
  const stored = sessionStorage.getItem(pendingKey);
  sessionStorage.removeItem(pendingKey);
  const answer = new URLSearchParams(search);
  const error = answer.get('error');
  if (error) fail('The identity provider refused the sign-in', `${error}${answer.get('error_description') ? `: ${answer.get('error_description')}` : ''}`);
  if (!stored) return fail('No sign-in in progress', 'this tab started no sign-in, or its answer was already used: sign in again');
  const pending = JSON.parse(stored) as Pending;
  if (answer.get('state') !== pending.state) fail('Sign-in answer refused', 'state mismatch: this answer does not belong to the sign-in this tab started');
  const code = answer.get('code');
  if (!code) return fail('Sign-in answer refused', 'the identity provider sent no authorization code');

  let response: Response;
  try {
    response = await fetch(pending.client.tokenEndpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: pending.redirectUri, client_id: pending.client.clientId, code_verifier: pending.verifier }),
    });
  } catch (caught) {
    return fail('The token endpoint could not be reached', `${pending.client.tokenEndpoint}: ${caught instanceof Error ? caught.message : String(caught)}`);
  }
  const body = (await response.json().catch(() => ({}))) as Record<string, unknown>;
  if (!response.ok) {
    const reason = typeof body.error === 'string' ? `${body.error}${typeof body.error_description === 'string' ? `: ${body.error_description}` : ''}` : `it answered ${response.status}`;
    fail('The token endpoint refused the code', reason);
  }
  const idClaims = claimsOf(body.id_token);
  if (body.id_token !== undefined && idClaims?.nonce !== pending.nonce) fail('Sign-in answer refused', 'the ID token does not carry the nonce this tab sent');
  const { audience } = pending.client;
  const token = isFor(claimsOf(body.access_token), audience) ? body.access_token : isFor(idClaims, audience) ? body.id_token : undefined;
  if (typeof token !== 'string') fail('No token for Switchboard', `neither the access token nor the ID token is a JWT for the audience ${audience} (OIDC_AUDIENCE)`);
  return { token: token as string, returnTo: pending.returnTo };
}
