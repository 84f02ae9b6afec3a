import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, credential, type View } from './api/client.js';
import { finishSignIn, forgetSignIn, isCallback } from './api/oidc.js';
import { AgentsPage } from './pages/agents.js';
import { AuditPage } from './pages/audit.js';
import { BindingsPage } from './pages/bindings.js';
import { CostsPage } from './pages/costs.js';
import { KeysPage } from './pages/keys.js';
import { LimitsPage } from './pages/limits.js';
import { SessionsPage } from './pages/sessions.js';
import { SignIn } from './pages/sign-in.js';
import { TenantsPage } from './pages/tenants.js';
import { WebhooksPage } from './pages/webhooks.js';
import { ProblemBox, problemOf } from './ui.js';
import './styles.css';

type Me = View<'getMe'>;
type Role = Me['role'];

/** The console's pages; each role's navigation lists the ones its API allows. Any page may be opened by URL: the API decides. */
const pages = {
  sessions: { title: 'Live sessions', roles: ['admin'], render: () => <SessionsPage /> },
  limits: { title: 'Limits', roles: ['admin'], render: () => <LimitsPage /> },
  agents: { title: 'Agents', roles: ['admin'], render: () => <AgentsPage /> },
  keys: { title: 'API keys', roles: ['admin'], render: () => <KeysPage /> },
  webhooks: { title: 'Webhooks', roles: ['admin'], render: () => <WebhooksPage /> },
  audit: { title: 'Audit', roles: ['auditor'], render: () => <AuditPage /> },
  bindings: { title: 'Bindings', roles: ['auditor'], render: () => <BindingsPage /> },
  costs: { title: 'Costs', roles: ['finance'], render: () => <CostsPage /> },
  tenants: { title: 'Tenants', roles: ['operator'], render: () => <TenantsPage /> },
} satisfies Record<string, { title: string; roles: Role[]; render: () => preact.JSX.Element }>;
type PageId = keyof typeof pages;

const base = '/console';
const pageOf = (pathname: string) => pathname.slice(base.length).replace(/^\/+|\/+$/g, '').split('/')[0];

export function navigate(page: string, replace = false) {
  history[replace ? 'replaceState' : 'pushState'](null, '', page.startsWith('/') ? page : `${base}/${page}`);
  dispatchEvent(new PopStateEvent('popstate'));
}

function usePath() {
  const [path, setPath] = useState(location.pathname);
  useEffect(() => {
    const update = () => setPath(location.pathname);
    addEventListener('popstate', update);
    return () => removeEventListener('popstate', update);
  }, []);
  return path;
}

function App() {
  const [me, setMe] = useState<Me>();
  const [checking, setChecking] = useState(credential.get() !== null || isCallback());
  const [problem, setProblem] = useState<ReturnType<typeof problemOf>>();
  const path = usePath();

  useEffect(() => {
    if (isCallback()) {
      // Back from the identity provider: the code becomes a token, the broker says who it is, and the URL loses the code.
      finishSignIn(location.search)
        .then(async ({ token, returnTo }) => {
          const who = await api<Me>('GET', '/v1/me', undefined, token);
          credential.set(token);
          setMe(who);
          navigate(returnTo, true);
        })
        .catch((error: unknown) => {
          setProblem(problemOf(error));
          navigate('', true);
        })
        .finally(() => setChecking(false));
      return;
    }
    if (!credential.get()) return;
    api<Me>('GET', '/v1/me').then(
      (who) => {
        setMe(who);
        setChecking(false);
      },
      (error: unknown) => {
        credential.clear();
        setProblem(problemOf(error));
        setChecking(false);
      },
    );
  }, []);

  const signOut = () => {
    credential.clear();
    forgetSignIn();
    setMe(undefined);
    navigate('');
  };

  if (checking) return <p role="status">Checking your credential…</p>;
  if (!me)
    return (
      <SignIn
        problem={problem}
        onSignedIn={(who, secret) => {
          credential.set(secret);
          setProblem(undefined);
          setMe(who);
        }}
      />
    );

  const allowed = (Object.keys(pages) as PageId[]).filter((id) => (pages[id].roles as Role[]).includes(me.role));
  const requested = pageOf(path);
  const current = (requested in pages ? requested : allowed[0]) as PageId | undefined;
  return (
    <>
      <header class="top">
        <a class="brand" href={`${base}/`}>
          Switchboard
        </a>
        <nav aria-label="Pages">
          {allowed.map((id) => (
            <a
              key={id}
              href={`${base}/${id}`}
              aria-current={id === current ? 'page' : undefined}
              onClick={(event) => {
                event.preventDefault();
                navigate(id);
              }}
            >
              {pages[id].title}
            </a>
          ))}
        </nav>
        <dl class="who" data-testid="who">
          <dt>Tenant</dt>
          <dd>{me.tenant ? me.tenant.name : 'platform'}</dd>
          <dt>Role</dt>
          <dd data-testid="role">{me.role}</dd>
          <dt>User</dt>
          <dd>{me.user ?? me.credential.id}</dd>
        </dl>
        <button type="button" onClick={signOut}>
          Sign out
        </button>
      </header>
      <main>
        {current ? (
          <>
            <h1>{pages[current].title}</h1>
            {pages[current].render()}
          </>
        ) : (
          <ProblemBox problem={{ title: 'Nothing to show', status: 0, detail: `The ${me.role} role has no console pages: its API is for backends.` }} />
        )}
      </main>
    </>
  );
}

render(<App />, document.getElementById('app')!);
