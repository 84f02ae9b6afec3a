import { useEffect, useState } from 'preact/hooks';
import { api, query, type View } from '../api/client.js';
import { Confirm, Field, Loaded, Pager, ProblemBox, Table, time, useAction, useApi, useCursor } from '../ui.js';

type Page = View<'listTenantSessions'>;
type Session = Page['data'][number];
type Kill = { kind: 'session'; session: Session } | { kind: 'user'; user: string };

const statuses = ['provisioning', 'idle', 'active', 'terminated'] as const;
const refreshMs = 5000;

/** Every live session of the tenant on every runtime, with the kill switch (API.md §5). */
export function SessionsPage() {
  const [filters, setFilters] = useState({ user: '', provider: '', status: '' });
  const [autoRefresh, setAutoRefresh] = useState(true);
  const [selected, setSelected] = useState<Session>();
  const [kill, setKill] = useState<Kill>();
  const [outcome, setOutcome] = useState<string>();
  const paging = useCursor();
  const providers = useApi<View<'listProviders'>>('/v1/providers');
  const sessions = useApi<Page>(`/v1/admin/sessions${query({ ...filters, cursor: paging.cursor, limit: 50 })}`);
  const action = useAction();

  useEffect(() => {
    if (!autoRefresh) return;
    const timer = setInterval(sessions.reload, refreshMs);
    return () => clearInterval(timer);
  }, [autoRefresh, sessions.reload]);

  const setFilter = (name: keyof typeof filters, value: string) => {
    paging.reset();
    setFilters((previous) => ({ ...previous, [name]: value }));
  };

  const confirmKill = async () => {
    const target = kill!;
    setKill(undefined);
    if (target.kind === 'session') {
      const ended = await action.run(() => api<View<'adminTerminateSession'>>('POST', `/v1/admin/sessions/${encodeURIComponent(target.session.id)}/terminate`));
      if (ended) {
        setOutcome(`Session ${ended.id} of ${ended.user} is ${ended.status} (reason: ${ended.terminationReason ?? 'none'}).`);
        if (selected?.id === ended.id) setSelected(ended);
      }
    } else {
      const ended = await action.run(() => api<View<'adminTerminateUserSessions'>>('POST', `/v1/admin/users/${encodeURIComponent(target.user)}/terminate-sessions`));
      if (ended) setOutcome(`${ended.terminated} session(s) of ${target.user} terminated (reason: admin)${ended.sessions.length ? `: ${ended.sessions.join(', ')}` : ''}.`);
    }
    sessions.reload();
  };

  return (
    <section aria-label="Live sessions">
      <form class="filters" onSubmit={(event) => event.preventDefault()}>
        <Field label="User">
          <input name="user" value={filters.user} onChange={(event) => setFilter('user', event.currentTarget.value)} />
        </Field>
        <Field label="Runtime">
          <select name="provider" value={filters.provider} onChange={(event) => setFilter('provider', event.currentTarget.value)}>
            <option value="">every runtime</option>
            {providers.data?.data.map((provider) => (
              <option key={provider.id} value={provider.id}>
                {provider.id}
              </option>
            ))}
          </select>
        </Field>
        <Field label="Status">
          <select name="status" value={filters.status} onChange={(event) => setFilter('status', event.currentTarget.value)}>
            <option value="">every live status</option>
            {statuses.map((status) => (
              <option key={status}>{status}</option>
            ))}
          </select>
        </Field>
        <label class="check">
          <input type="checkbox" checked={autoRefresh} onChange={(event) => setAutoRefresh(event.currentTarget.checked)} /> Refresh every {refreshMs / 1000} s
        </label>
        <button type="button" onClick={sessions.reload}>
          Refresh now
        </button>
        <button type="button" class="danger" disabled={!filters.user} onClick={() => setKill({ kind: 'user', user: filters.user })}>
          Terminate all of this user's sessions
        </button>
      </form>
      {outcome && (
        <p class="notice" role="status" data-testid="kill-outcome">
          {outcome}
        </p>
      )}
      <ProblemBox problem={action.error} />
      <Loaded state={sessions} empty={(page) => page.data.length === 0} emptyText="No sessions match.">
        {(page) => (
          <>
            <Table
              testId="live-sessions"
              caption="Sessions"
              rows={page.data}
              rowKey={(session) => session.id}
              columns={[
                { label: 'Session', cell: (session) => <code>{session.id}</code> },
                { label: 'User', cell: (session) => session.user },
                { label: 'Runtime', cell: (session) => session.provider },
                { label: 'Agent', cell: (session) => session.agent.name },
                { label: 'Status', cell: (session) => session.status },
                { label: 'Last activity', cell: (session) => time(session.lastActivityAt) },
                { label: 'Cost (USD)', cell: (session) => session.usage.costUsd },
                {
                  label: 'Actions',
                  cell: (session) => (
                    <div class="actions">
                      <button type="button" onClick={() => setSelected(session)} aria-label={`Details of ${session.id}`}>
                        Details
                      </button>
                      {session.status !== 'terminated' && (
                        <button type="button" class="danger" onClick={() => setKill({ kind: 'session', session })} aria-label={`Terminate ${session.id}`}>
                          Terminate
                        </button>
                      )}
                    </div>
                  ),
                },
              ]}
            />
            <Pager paging={paging} nextCursor={page.nextCursor} />
          </>
        )}
      </Loaded>
      {selected && <SessionDetail session={selected} onClose={() => setSelected(undefined)} />}
      {kill && (
        <Confirm title="Terminate?" confirmLabel="Terminate" onConfirm={() => void confirmKill()} onCancel={() => setKill(undefined)}>
          <p>
            {kill.kind === 'session'
              ? `End session ${kill.session.id} of ${kill.session.user} on ${kill.session.provider} now? Its next turn will be refused (410).`
              : `End every live session of ${kill.user} now?`}
          </p>
          <p class="muted">The sessions end with reason “admin”, and the action is audited.</p>
        </Confirm>
      )}
    </section>
  );
}

function SessionDetail({ session, onClose }: { session: Session; onClose: () => void }) {
  const rows: Array<[string, string]> = [
    ['Session', session.id],
    ['User', session.user],
    ['Agent', `${session.agent.name} (${session.agent.id})`],
    ['Runtime', session.provider],
    ['Runtime session', session.providerSession?.id ?? '—'],
    ['Status', session.status],
    ['Termination reason', session.terminationReason ?? '—'],
    ['Created', time(session.createdAt)],
    ['Last activity', time(session.lastActivityAt)],
    ['Idle expiry', time(session.idleExpiresAt)],
    ['Expires', time(session.expiresAt)],
    ['Turns', String(session.usage.turns)],
    ['Tokens in / out', `${session.usage.inputTokens} / ${session.usage.outputTokens}`],
    ['Active seconds', String(session.usage.activeSeconds)],
    ['Cost (USD)', session.usage.costUsd],
    ['Metadata', JSON.stringify(session.metadata)],
  ];
  return (
    <aside class="panel" aria-label={`Session ${session.id}`} data-testid="session-detail">
      <h2>Session {session.id}</h2>
      <dl class="pairs">
        {rows.map(([label, value]) => (
          <div key={label}>
            <dt>{label}</dt>
            <dd>{value}</dd>
          </div>
        ))}
      </dl>
      <h3>Transcript</h3>
      <p class="muted">
        The API serves a session's transcript to its own user only (GET /v1/sessions/{'{id}'}/events, role app): an admin key cannot read it, so the console does not show it.
      </p>
      <button type="button" onClick={onClose}>
        Close
      </button>
    </aside>
  );
}
