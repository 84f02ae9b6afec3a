import { useState } from 'preact/hooks';
import { api, type Problem, type View } from '../api/client.js';
import { Field, ProblemBox, useAction } from '../ui.js';

/** Paste an API key; the broker says who it is (GET /v1/me) before the console keeps it. */
export function SignIn(props: { problem?: Problem; onSignedIn: (me: View<'getMe'>, secret: string) => void }) {
  const [secret, setSecret] = useState('');
  const action = useAction();
  const submit = async (event: Event) => {
    event.preventDefault();
    const key = secret.trim();
    const me = await action.run(() => api<View<'getMe'>>('GET', '/v1/me', undefined, key));
    if (me) props.onSignedIn(me, key);
  };
  return (
    <main class="sign-in">
      <h1>Switchboard console</h1>
      <form onSubmit={(event) => void submit(event)}>
        <Field label="API key">
          <input type="password" autocomplete="off" required value={secret} onInput={(event) => setSecret(event.currentTarget.value)} placeholder="sbk_…" />
        </Field>
        <button type="submit" disabled={action.busy}>
          Sign in
        </button>
      </form>
      <p class="muted">The key stays in this tab only (session storage) and is cleared when you sign out or close the tab.</p>
      <ProblemBox problem={action.error ?? props.problem} />
    </main>
  );
}
