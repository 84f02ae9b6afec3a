import { useEffect, useState } from 'preact/hooks';
import { api, query, type View } from '../api/client.js';
import { Confirm, Field, Loaded, Pager, ProblemBox, SecretOnce, Table, time, useAction, useApi, useCursor } from '../ui.js';

type Webhook = View<'listWebhooks'>['data'][number];
type Delivery = View<'listWebhookDeliveries'>['data'][number];
const formats = ['json', 'ocsf'] as const;
const deliveryStatuses = ['pending', 'delivered', 'failed'] as const;
/** While a delivery is pending, its list is fetched again this often (the dispatcher polls every 250 ms by default). */
const pendingRefreshMs = 2000;

/** Splits "audit.*, session.terminated" into the API's event list. */
const eventsOf = (text: string) => text.split(/[\s,]+/).filter(Boolean);

/**
 * The tenant's webhooks (API.md §9): subscribe a URL (the signing secret shown
 * once), pause or resume, delete, send a test event, and each webhook's
 * deliveries with their attempts and the receiver's answers, retried one by one.
 */
export function WebhooksPage() {
  const paging = useCursor();
  const webhooks = useApi<View<'listWebhooks'>>(`/v1/webhooks${query({ cursor: paging.cursor, limit: 50 })}`);
  const [draft, setDraft] = useState({ url: '', events: 'audit.*', format: 'json', description: '' });
  const [secret, setSecret] = useState<string>();
  const [deleting, setDeleting] = useState<Webhook>();
  const [selected, setSelected] = useState<Webhook>();
  const [outcome, setOutcome] = useState<string>();
  const [round, setRound] = useState(0);
  const action = useAction();

  const create = async (event: Event) => {
    event.preventDefault();
    const body = { url: draft.url.trim(), events: eventsOf(draft.events), format: draft.format as (typeof formats)[number], ...(draft.description ? { description: draft.description } : {}) };
    const created = await action.run(() => api<View<'createWebhook', 201>>('POST', '/v1/webhooks', body));
    if (created) {
      setSecret(created.secret);
      setOutcome(undefined);
      setDraft({ ...draft, url: '', description: '' });
      webhooks.reload();
    }
  };
  const setStatus = async (webhook: Webhook, status: 'active' | 'paused') => {
    const updated = await action.run(() => api<View<'updateWebhook'>>('PATCH', `/v1/webhooks/${encodeURIComponent(webhook.id)}`, { status }));
    if (updated) {
      setOutcome(`${updated.url} is ${updated.status}.`);
      if (selected?.id === updated.id) setSelected(updated);
    }
    webhooks.reload();
  };
  const sendTest = async (webhook: Webhook) => {
    const queued = await action.run(() => api<View<'testWebhook', 202>>('POST', `/v1/webhooks/${encodeURIComponent(webhook.id)}/test`));
    if (queued) {
      setOutcome(`Test event queued for ${webhook.url} (delivery ${queued.id}).`);
      setSelected(webhook);
      setRound((value) => value + 1);
    }
  };
  const remove = async () => {
    const webhook = deleting!;
    setDeleting(undefined);
    const done = await action.run(() => api('DELETE', `/v1/webhooks/${encodeURIComponent(webhook.id)}`).then(() => true));
    if (done) {
      setOutcome(`${webhook.url} deleted.`);
      if (selected?.id === webhook.id) setSelected(undefined);
    }
    webhooks.reload();
  };

  return (
    <section aria-label="Webhooks">
      {secret && <SecretOnce what="signing secret" secret={secret} onDone={() => setSecret(undefined)} />}
      <form class="grid-form" aria-label="New webhook" onSubmit={(event) => void create(event)}>
        <Field label="URL">
          <input type="url" required value={draft.url} placeholder="https://siem.example.com/hooks/switchboard" onInput={(event) => setDraft({ ...draft, url: event.currentTarget.value })} />
        </Field>
        <Field label="Events (comma-separated; wildcards such as audit.*)">
          <input required value={draft.events} onInput={(event) => setDraft({ ...draft, events: event.currentTarget.value })} />
        </Field>
        <Field label="Format">
          <select value={draft.format} onChange={(event) => setDraft({ ...draft, format: event.currentTarget.value })}>
            {formats.map((format) => (
              <option key={format}>{format}</option>
            ))}
          </select>
        </Field>
        <Field label="Description (optional)">
          <input value={draft.description} onInput={(event) => setDraft({ ...draft, description: event.currentTarget.value })} />
        </Field>
        <button type="submit" disabled={action.busy}>
          Create webhook
        </button>
      </form>
      {outcome && (
        <p class="notice" role="status" data-testid="webhook-outcome">
          {outcome}
        </p>
      )}
      <ProblemBox problem={action.error} />
      <Loaded state={webhooks} empty={(page) => page.data.length === 0} emptyText="No webhooks yet.">
        {(page) => (
          <>
            <Table
              caption="Webhooks"
              testId="webhooks"
              rows={page.data}
              rowKey={(webhook) => webhook.id}
              columns={[
                { label: 'URL', cell: (webhook) => <code>{webhook.url}</code> },
                { label: 'Events', cell: (webhook) => webhook.events.join(', ') },
                { label: 'Format', cell: (webhook) => webhook.format },
                { label: 'Description', cell: (webhook) => webhook.description ?? '—' },
                { label: 'Status', cell: (webhook) => (webhook.disabledReason ? `${webhook.status}: ${webhook.disabledReason}` : webhook.status) },
                { label: 'Created', cell: (webhook) => time(webhook.createdAt) },
                {
                  label: 'Actions',
                  cell: (webhook) => (
                    <div class="actions">
                      <button type="button" onClick={() => setSelected(webhook)} aria-label={`Deliveries of ${webhook.url}`}>
                        Deliveries
                      </button>
                      <button type="button" onClick={() => void sendTest(webhook)} aria-label={`Send a test event to ${webhook.url}`}>
                        Send test
                      </button>
                      {webhook.status === 'active' ? (
                        <button type="button" onClick={() => void setStatus(webhook, 'paused')} aria-label={`Pause ${webhook.url}`}>
                          Pause
                        </button>
                      ) : (
                        <button type="button" onClick={() => void setStatus(webhook, 'active')} aria-label={`Resume ${webhook.url}`}>
                          Resume
                        </button>
                      )}
                      <button type="button" class="danger" onClick={() => setDeleting(webhook)} aria-label={`Delete ${webhook.url}`}>
                        Delete
                      </button>
                    </div>
                  ),
                },
              ]}
            />
            <Pager paging={paging} nextCursor={page.nextCursor} />
          </>
        )}
      </Loaded>
      {selected && <Deliveries key={selected.id} webhook={selected} round={round} onClose={() => setSelected(undefined)} />}
      {deleting && (
        <Confirm title="Delete this webhook?" confirmLabel="Delete" onConfirm={() => void remove()} onCancel={() => setDeleting(undefined)}>
          <p>{deleting.url} stops receiving events, and its queued deliveries are dropped.</p>
          <p class="muted">The deletion is audited (webhook.changed).</p>
        </Confirm>
      )}
    </section>
  );
}

/** One webhook's deliveries, newest first; fetched again while any is pending. */
function Deliveries({ webhook, round, onClose }: { webhook: Webhook; round: number; onClose: () => void }) {
  const [status, setStatus] = useState('');
  const paging = useCursor();
  const deliveries = useApi<View<'listWebhookDeliveries'>>(`/v1/webhooks/${encodeURIComponent(webhook.id)}/deliveries${query({ status, cursor: paging.cursor, limit: 20 })}`);
  const action = useAction();
  const pending = deliveries.data?.data.some((delivery) => delivery.status === 'pending') ?? false;
  const { reload } = deliveries;

  useEffect(() => {
    if (round > 0) reload();
  }, [round, reload]);
  useEffect(() => {
    if (!pending) return;
    const timer = setInterval(reload, pendingRefreshMs);
    return () => clearInterval(timer);
  }, [pending, reload]);

  const retry = async (delivery: Delivery) => {
    await action.run(() => api<View<'retryWebhookDelivery', 202>>('POST', `/v1/webhooks/${encodeURIComponent(webhook.id)}/deliveries/${encodeURIComponent(delivery.id)}/retry`));
    reload();
  };

  return (
    <aside class="panel" aria-label={`Deliveries of ${webhook.url}`} data-testid="webhook-deliveries">
      <h2>Deliveries to {webhook.url}</h2>
      <form class="filters" onSubmit={(event) => event.preventDefault()}>
        <Field label="Delivery status">
          <select
            value={status}
            onChange={(event) => {
              paging.reset();
              setStatus(event.currentTarget.value);
            }}
          >
            <option value="">every status</option>
            {deliveryStatuses.map((value) => (
              <option key={value}>{value}</option>
            ))}
          </select>
        </Field>
        <button type="button" onClick={reload}>
          Refresh
        </button>
        <button type="button" onClick={onClose}>
          Close
        </button>
      </form>
      <ProblemBox problem={action.error} />
      <Loaded state={deliveries} empty={(page) => page.data.length === 0} emptyText="No deliveries yet: send a test event.">
        {(page) => (
          <>
            <Table
              caption={`Deliveries to ${webhook.url}`}
              testId="deliveries"
              rows={page.data}
              rowKey={(delivery) => delivery.id}
              columns={[
                { label: 'Delivery', cell: (delivery) => <code>{delivery.id}</code> },
                { label: 'Event', cell: (delivery) => delivery.eventType },
                { label: 'Status', cell: (delivery) => <span class={delivery.status === 'failed' ? 'bad' : delivery.status === 'delivered' ? 'ok' : undefined}>{delivery.status}</span> },
                { label: 'Attempts', cell: (delivery) => <Attempts delivery={delivery} /> },
                { label: 'Last answer', cell: (delivery) => <LastAnswer delivery={delivery} /> },
                { label: 'Created', cell: (delivery) => time(delivery.createdAt) },
                { label: 'Next attempt', cell: (delivery) => time(delivery.nextAttemptAt) },
                {
                  label: 'Actions',
                  cell: (delivery) =>
                    delivery.status !== 'pending' && (
                      <button type="button" onClick={() => void retry(delivery)} aria-label={`Retry ${delivery.id}`} disabled={action.busy}>
                        Retry
                      </button>
                    ),
                },
              ]}
            />
            <Pager paging={paging} nextCursor={page.nextCursor} />
          </>
        )}
      </Loaded>
    </aside>
  );
}

function LastAnswer({ delivery }: { delivery: Delivery }) {
  if (delivery.lastStatus === null && delivery.lastError === null) return <span class="muted">—</span>;
  return (
    <span data-testid="last-answer">
      {delivery.lastStatus !== null && <strong>{delivery.lastStatus}</strong>}
      {delivery.lastError && <span class="bad"> {delivery.lastError}</span>}
      {delivery.lastAnswer && <code> {delivery.lastAnswer}</code>}
    </span>
  );
}

/** The attempt count, and the log of the last attempts behind a disclosure (keyboard: Enter/Space on the summary). */
function Attempts({ delivery }: { delivery: Delivery }) {
  if (delivery.attemptLog.length === 0) return <>{delivery.attempts}</>;
  return (
    <details>
      <summary>{delivery.attempts}</summary>
      <ol class="plain">
        {delivery.attemptLog.map((attempt) => (
          <li key={attempt.at}>
            {time(attempt.at)}: {attempt.status ?? attempt.error ?? 'no answer'} ({attempt.durationMs} ms)
          </li>
        ))}
      </ol>
    </details>
  );
}
