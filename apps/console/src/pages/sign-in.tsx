import { useEffect, useState } from 'preact/hooks';
import { api, type Problem, type View } from '../api/client.js';
import { startSignIn } from '../api/oidc.js';
import { Field, ProblemBox, useAction } from '../ui.js';

type ConsoleConfig = View<'getConsoleConfig'>;

/** The issuer as a person reads it: its host. */
const issuerName = (issuer: string) => {
  try {
    return new URL(issuer).host;
  } catch {
    return issuer;
  }
};

/**
 * Paste an API key (the broker says who it is, GET /v1/me, before the console
 * keeps it), or, when the broker names an OIDC client for the console, sign in
 * at the identity provider (Authorization Code + PKCE; see api/oidc.ts).
 */
export function SignIn(props: { problem?: Problem; onSignedIn: (me: View<'getMe'>, secret: string) => void }) {
  const [secret, setSecret] = useState('');
  const [config, setConfig] = useState<ConsoleConfig>();
  const action = useAction();
  const leaving = useAction();
  useEffect(() => {
    // No config (an older broker, a network error): the key form alone, as before.
    api<ConsoleConfig>('GET', '/console/config.json', undefined, '').then(setConfig, () => setConfig({ oidc: null, oidcUnavailable: null }));
  }, []);
  const submit = async (event: Event) => {
    event.preventDefault();
    const key = secret.trim();
    const me = await action.run(() => api<View<'getMe'>>('GET', '/v1/me', undefined, key));
    if (me) props.onSignedIn(me, key);
  };
  const oidc = config?.oidc;
  return (
    <main class="sign-in">
      <h1>Switchboard console</h1>
      {oidc && (
        <section aria-label="Single sign-on" class="sso">
          <button type="button" class="primary" disabled={leaving.busy} onClick={() => void leaving.run(() => startSignIn(oidc))}>
            Sign in with {issuerName(oidc.issuer)}
          </button>
          <p class="muted">Your organisation's identity provider; the console keeps the token in this tab only.</p>
          <p class="or">or with an API key</p>
        </section>
      )}
      {config?.oidcUnavailable && <p class="muted">Single sign-on is configured but unavailable: {config.oidcUnavailable}.</p>}
      <form onSubmit={(event) => void submit(event)}>
        <Field label="API key">
          <input type="password" autocomplete="off" required value={secret} onInput={(event) => setSecret(event.currentTarget.value)} placeholder="sbk_…" />
        </Field>
        <button type="submit" disabled={action.busy}>
          Sign in
        </button>
      </form>
      <p class="muted">The key stays in this tab only (session storage) and is cleared when you sign out or close the tab.</p>
      <ProblemBox problem={action.error ?? leaving.error ?? props.problem} />
    </main>
  );
}
