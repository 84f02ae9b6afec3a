import { useState } from 'preact/hooks';
import { api, download, query, type View } from '../api/client.js';
import { Field, Loaded, Pager, ProblemBox, Table, time, useAction, useApi, useCursor } from '../ui.js';

type AuditEvent = View<'listAuditEvents'>['data'][number];
type Verification = View<'verifyAuditChain'>;

/** A datetime-local value (the browser's local time) as RFC 3339 UTC, as the API wants it. */
export const instant = (local: string) => (local ? new Date(local).toISOString() : undefined);

/** Audit search with cursor pages, one event's chain fields, the chain check and the exports (API.md §6). */
export function AuditPage() {
  const [form, setForm] = useState({ type: '', user: '', session: '', from: '', to: '' });
  const [search, setSearch] = useState(form);
  const [selected, setSelected] = useState<AuditEvent>();
  const [verification, setVerification] = useState<Verification>();
  const [exportFormat, setExportFormat] = useState('jsonl');
  const [downloaded, setDownloaded] = useState<string>();
  const paging = useCursor();
  const range = { from: instant(search.from), to: instant(search.to) };
  const events = useApi<View<'listAuditEvents'>>(`/v1/audit/events${query({ ...search, ...range, cursor: paging.cursor, limit: 50 })}`);
  const action = useAction();
  const bind = (name: keyof typeof form) => ({ value: form[name], onInput: (event: { currentTarget: HTMLInputElement }) => setForm({ ...form, [name]: event.currentTarget.value }) });

  return (
    <>
      <form
        class="filters"
        aria-label="Search the audit log"
        onSubmit={(event) => {
          event.preventDefault();
          paging.reset();
          setSearch(form);
        }}
      >
        <Field label="Type">
          <input name="type" placeholder="session.terminated" {...bind('type')} />
        </Field>
        <Field label="User">
          <input name="user" {...bind('user')} />
        </Field>
        <Field label="Session">
          <input name="session" {...bind('session')} />
        </Field>
        <Field label="From">
          <input name="from" type="datetime-local" {...bind('from')} />
        </Field>
        <Field label="To">
          <input name="to" type="datetime-local" {...bind('to')} />
        </Field>
        <button type="submit">Search</button>
      </form>
      <Loaded state={events} empty={(page) => page.data.length === 0} emptyText="No audit events match.">
        {(page) => (
          <>
            <Table
              caption="Audit events"
              testId="audit-events"
              rows={page.data}
              rowKey={(event) => event.id}
              columns={[
                { label: 'Seq', cell: (event) => event.seq },
                { label: 'At', cell: (event) => time(event.at) },
                { label: 'Type', cell: (event) => event.type },
                { label: 'User', cell: (event) => event.user ?? '—' },
                { label: 'Session', cell: (event) => (event.session ? <code>{event.session}</code> : '—') },
                { label: 'Actor', cell: (event) => `${event.actor.kind}${event.actor.id ? ` ${event.actor.id}` : ''}` },
                {
                  label: 'Detail',
                  cell: (event) => (
                    <button type="button" onClick={() => setSelected(event)} aria-label={`Event ${event.seq} in detail`}>
                      Open
                    </button>
                  ),
                },
              ]}
            />
            <Pager paging={paging} nextCursor={page.nextCursor} />
          </>
        )}
      </Loaded>
      {selected && (
        <aside class="panel" aria-label={`Audit event ${selected.seq}`} data-testid="audit-detail">
          <h2>
            Event {selected.seq}: {selected.type}
          </h2>
          <dl class="pairs">
            {(
              [
                ['Id', selected.id],
                ['At', time(selected.at)],
                ['Tenant', selected.tenant],
                ['User', selected.user ?? '—'],
                ['Session', selected.session ?? '—'],
                ['Runtime', selected.provider ?? '—'],
                ['Runtime session', selected.providerSession ?? '—'],
                ['Request', selected.requestId ?? '—'],
                ['Hash', selected.hash],
                ['Previous hash', selected.prevHash],
              ] as const
            ).map(([label, value]) => (
              <div key={label}>
                <dt>{label}</dt>
                <dd>
                  <code>{value}</code>
                </dd>
              </div>
            ))}
          </dl>
          <pre>{JSON.stringify({ actor: selected.actor, detail: selected.detail, http: selected.http }, null, 2)}</pre>
          <button type="button" onClick={() => setSelected(undefined)}>
            Close
          </button>
        </aside>
      )}
      <section aria-labelledby="verify">
        <h2 id="verify">Chain integrity</h2>
        <button type="button" disabled={action.busy} onClick={() => void action.run(() => api<Verification>('GET', '/v1/audit/verify')).then((result) => result && setVerification(result))}>
          Verify the chain
        </button>
        {verification && (
          <p class={verification.ok ? 'ok' : 'bad'} role="status" data-testid="verify-result">
            {verification.ok
              ? `Chain intact: ${verification.checked} events checked.`
              : `Chain broken at seq ${verification.firstBadSeq ?? '?'}${verification.reason ? ` (${verification.reason})` : ''}; ${verification.checked} events checked.`}
          </p>
        )}
      </section>
      <section aria-labelledby="export">
        <h2 id="export">Export</h2>
        <form
          class="filters"
          onSubmit={(event) => {
            event.preventDefault();
            void action
              .run(() => download(`/v1/audit/export${query({ ...range, format: exportFormat })}`, `audit.${exportFormat === 'ocsf' ? 'ocsf.jsonl' : 'jsonl'}`))
              .then((file) => file && setDownloaded(`${file.name} (${file.bytes} bytes)`));
          }}
        >
          <Field label="Format">
            <select value={exportFormat} onChange={(event) => setExportFormat(event.currentTarget.value)}>
              <option value="jsonl">JSONL</option>
              <option value="ocsf">OCSF</option>
            </select>
          </Field>
          <button type="submit">Download (search time range)</button>
        </form>
        {downloaded && <p role="status">Downloaded {downloaded}.</p>}
      </section>
      <ProblemBox problem={action.error} />
    </>
  );
}
