import { useState } from 'preact/hooks';
import { query, type View } from '../api/client.js';
import { Field, Loaded, Pager, Table, time, useApi, useCursor } from '../ui.js';

/** Who owns which session (GET /v1/audit/bindings). */
export function BindingsPage() {
  const [user, setUser] = useState('');
  const [search, setSearch] = useState('');
  const paging = useCursor();
  const bindings = useApi<View<'listAuditBindings'>>(`/v1/audit/bindings${query({ user: search, cursor: paging.cursor })}`);
  return (
    <>
      <form
        class="filters"
        onSubmit={(event) => {
          event.preventDefault();
          paging.reset();
          setSearch(user.trim());
        }}
      >
        <Field label="User">
          <input value={user} onInput={(event) => setUser(event.currentTarget.value)} />
        </Field>
        <button type="submit">Search</button>
      </form>
      <Loaded state={bindings} empty={(page) => page.data.length === 0} emptyText="No bindings match.">
        {(page) => (
          <>
            <Table
              caption="Bindings"
              rows={page.data}
              rowKey={(binding) => binding.session}
              columns={[
                { label: 'User', cell: (binding) => binding.user },
                { label: 'Session', cell: (binding) => <code>{binding.session}</code> },
                { label: 'Runtime', cell: (binding) => binding.provider },
                { label: 'Runtime session', cell: (binding) => binding.providerSession ?? '—' },
                { label: 'Agent', cell: (binding) => binding.agent.name },
                { label: 'Status', cell: (binding) => `${binding.status}${binding.terminationReason ? ` (${binding.terminationReason})` : ''}` },
                { label: 'Bound', cell: (binding) => time(binding.boundAt) },
                { label: 'Ended', cell: (binding) => time(binding.endedAt) },
              ]}
            />
            <Pager paging={paging} nextCursor={page.nextCursor} />
          </>
        )}
      </Loaded>
    </>
  );
}
