import { useState } from 'preact/hooks';
import { api, query, type View } from '../api/client.js';
import { Confirm, Field, Loaded, ProblemBox, SecretOnce, Table, time, useAction, useApi } from '../ui.js';

type Key = View<'listApiKeys'>['data'][number];
const roles = ['app', 'auditor', 'finance', 'admin'] as const;

/**
 * A tenant's API keys: create (the secret shown once), rotate, revoke. A tenant
 * admin manages its own (no `tenant`); the operator names the tenant.
 */
export function KeysPage({ tenant }: { tenant?: string }) {
  const keys = useApi<View<'listApiKeys'>>(`/v1/api-keys${query({ tenant })}`);
  const [secret, setSecret] = useState<string>();
  const [draft, setDraft] = useState({ role: 'app', name: '', expiresAt: '' });
  const [graceSeconds, setGraceSeconds] = useState('3600');
  const [revoking, setRevoking] = useState<Key>();
  const action = useAction();

  const create = async (event: Event) => {
    event.preventDefault();
    const body = { role: draft.role, name: draft.name, ...(draft.expiresAt ? { expiresAt: new Date(draft.expiresAt).toISOString() } : {}) };
    const created = await action.run(() => api<View<'createApiKey', 201>>('POST', tenant ? `/v1/tenants/${encodeURIComponent(tenant)}/api-keys` : '/v1/api-keys', body));
    if (created) {
      setSecret(created.key);
      setDraft({ ...draft, name: '' });
      keys.reload();
    }
  };
  const rotate = async (key: Key) => {
    const rotated = await action.run(() => api<View<'rotateApiKey', 201>>('POST', `/v1/api-keys/${encodeURIComponent(key.id)}/rotate`, { graceSeconds: Number(graceSeconds) }));
    if (rotated) {
      setSecret(rotated.key);
      keys.reload();
    }
  };
  const revoke = async () => {
    const key = revoking!;
    setRevoking(undefined);
    await action.run(() => api('DELETE', `/v1/api-keys/${encodeURIComponent(key.id)}`));
    keys.reload();
  };

  return (
    <section aria-label="API keys">
      {secret && <SecretOnce secret={secret} onDone={() => setSecret(undefined)} />}
      <form class="filters" onSubmit={(event) => void create(event)}>
        <Field label="Role">
          <select value={draft.role} onChange={(event) => setDraft({ ...draft, role: event.currentTarget.value })}>
            {roles.map((role) => (
              <option key={role}>{role}</option>
            ))}
          </select>
        </Field>
        <Field label="Name">
          <input required value={draft.name} onInput={(event) => setDraft({ ...draft, name: event.currentTarget.value })} />
        </Field>
        <Field label="Expires (optional)">
          <input type="datetime-local" value={draft.expiresAt} onInput={(event) => setDraft({ ...draft, expiresAt: event.currentTarget.value })} />
        </Field>
        <button type="submit" disabled={action.busy}>
          Create key
        </button>
        <Field label="Rotation grace (s)">
          <input inputMode="numeric" value={graceSeconds} onInput={(event) => setGraceSeconds(event.currentTarget.value)} />
        </Field>
      </form>
      <ProblemBox problem={action.error} />
      <Loaded state={keys} empty={(page) => page.data.length === 0} emptyText="No keys.">
        {(page) => (
          <Table
            caption="API keys"
            testId="api-keys"
            rows={page.data}
            rowKey={(key) => key.id}
            columns={[
              { label: 'Name', cell: (key) => key.name },
              { label: 'Role', cell: (key) => key.role },
              { label: 'Key', cell: (key) => <code>{`${key.keyPrefix}…${key.keyLast4 ?? ''}`}</code> },
              { label: 'Created', cell: (key) => time(key.createdAt) },
              { label: 'Last used', cell: (key) => time(key.lastUsedAt) },
              { label: 'Expires', cell: (key) => time(key.expiresAt) },
              { label: 'State', cell: (key) => (key.revokedAt ? `revoked ${time(key.revokedAt)}` : key.replacedBy ? `rotated to ${key.replacedBy}` : 'active') },
              {
                label: 'Actions',
                cell: (key) =>
                  !key.revokedAt && (
                    <div class="actions">
                      <button type="button" onClick={() => void rotate(key)} aria-label={`Rotate ${key.name}`}>
                        Rotate
                      </button>
                      <button type="button" class="danger" onClick={() => setRevoking(key)} aria-label={`Revoke ${key.name}`}>
                        Revoke
                      </button>
                    </div>
                  ),
              },
            ]}
          />
        )}
      </Loaded>
      {revoking && (
        <Confirm title="Revoke this key?" confirmLabel="Revoke" onConfirm={() => void revoke()} onCancel={() => setRevoking(undefined)}>
          <p>
            {revoking.name} ({revoking.role}) stops working at once, on every replica.
          </p>
        </Confirm>
      )}
    </section>
  );
}
