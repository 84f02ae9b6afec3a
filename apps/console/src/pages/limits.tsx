import { useState } from 'preact/hooks';
import { api, type View } from '../api/client.js';
import { Field, Loaded, ProblemBox, useAction, useApi } from '../ui.js';

type TenantPolicy = View<'getLimits'>;
type UserPolicy = View<'getUserLimits'>;
type Policy = UserPolicy['policy'];
type PolicyField = keyof Policy;

const fields: Array<{ name: PolicyField; label: string; kind: 'count' | 'money' | 'isolation' }> = [
  { name: 'maxActiveSessionsPerUser', label: 'Active sessions per user', kind: 'count' },
  { name: 'maxActiveSessionsPerTenant', label: 'Active sessions per tenant', kind: 'count' },
  { name: 'sessionCreatesPerMinutePerUser', label: 'Session creates per minute per user', kind: 'count' },
  { name: 'turnsPerMinutePerUser', label: 'Turns per minute per user', kind: 'count' },
  { name: 'maxOpenStreamsPerTenant', label: 'Open streams per tenant', kind: 'count' },
  { name: 'idleTimeoutSeconds', label: 'Idle timeout (s)', kind: 'count' },
  { name: 'maxLifetimeSeconds', label: 'Max lifetime (s)', kind: 'count' },
  { name: 'monthlyBudgetUsdPerUser', label: 'Monthly budget per user (USD)', kind: 'money' },
  { name: 'monthlyBudgetUsdPerTenant', label: 'Monthly budget per tenant (USD)', kind: 'money' },
  { name: 'requiredIsolation', label: 'Required isolation', kind: 'isolation' },
];

/** Which usage figure of GET /v1/limits/users/{id} counts against which limit. */
const usageOf: Partial<Record<PolicyField, (usage: UserPolicy['usage']) => string>> = {
  maxActiveSessionsPerUser: (usage) => String(usage.activeSessions),
  sessionCreatesPerMinutePerUser: (usage) => String(usage.sessionCreatesThisMinute),
  turnsPerMinutePerUser: (usage) => String(usage.turnsThisMinute),
  monthlyBudgetUsdPerUser: (usage) => usage.monthSpentUsd,
};

const shown = (value: Policy[PolicyField] | undefined) => (value === null || value === undefined ? 'no limit' : String(value));

/** The form's text back to a policy value: empty removes the limit (null). */
function parse(kind: 'count' | 'money' | 'isolation', text: string): string | number | null {
  if (text.trim() === '') return null;
  return kind === 'count' ? Number(text) : text.trim();
}

function PolicyForm(props: { policy: Policy; onSave: (changes: Partial<Record<PolicyField, string | number | null>>) => Promise<unknown>; submitLabel: string }) {
  const [draft, setDraft] = useState<Record<string, string>>({});
  const changes = () =>
    Object.fromEntries(
      Object.entries(draft).map(([name, text]) => [name, parse(fields.find((field) => field.name === name)!.kind, text)]),
    ) as Partial<Record<PolicyField, string | number | null>>;
  return (
    <form
      class="grid-form"
      onSubmit={(event) => {
        event.preventDefault();
        void props.onSave(changes()).then(() => setDraft({}));
      }}
    >
      {fields.map((field) => (
        <Field key={field.name} label={field.label}>
          {field.kind === 'isolation' ? (
            <select name={field.name} value={draft[field.name] ?? props.policy[field.name] ?? ''} onChange={(event) => setDraft({ ...draft, [field.name]: event.currentTarget.value })}>
              <option value="">no requirement</option>
              {['any', 'sandbox', 'vm', 'microvm'].map((level) => (
                <option key={level}>{level}</option>
              ))}
            </select>
          ) : (
            <input
              name={field.name}
              inputMode={field.kind === 'count' ? 'numeric' : 'decimal'}
              placeholder="no limit"
              value={draft[field.name] ?? (props.policy[field.name] === null ? '' : String(props.policy[field.name]))}
              onInput={(event) => setDraft({ ...draft, [field.name]: event.currentTarget.value })}
            />
          )}
        </Field>
      ))}
      <button type="submit" disabled={Object.keys(draft).length === 0}>
        {props.submitLabel}
      </button>
    </form>
  );
}

/** The tenant's policy, and any user's override with their usage against each limit (API.md §5). */
export function LimitsPage() {
  const tenant = useApi<TenantPolicy>('/v1/limits');
  const [user, setUser] = useState('');
  const [lookedUp, setLookedUp] = useState<string>();
  const userPolicy = useApi<UserPolicy>(lookedUp ? `/v1/limits/users/${encodeURIComponent(lookedUp)}` : null);
  const action = useAction();
  const save = (path: string, reload: () => void) => (changes: object) => action.run(() => api('PUT', path, changes)).then(reload);

  return (
    <>
      <section aria-labelledby="tenant-policy">
        <h2 id="tenant-policy">Tenant policy</h2>
        <ProblemBox problem={action.error} />
        <Loaded state={tenant}>
          {(policy) => (
            <>
              <table>
                <caption class="visually-hidden">Tenant policy</caption>
                <thead>
                  <tr>
                    <th scope="col">Limit</th>
                    <th scope="col">Value</th>
                    <th scope="col">From</th>
                  </tr>
                </thead>
                <tbody>
                  {fields.map((field) => (
                    <tr key={field.name}>
                      <th scope="row">{field.label}</th>
                      <td>{shown(policy[field.name])}</td>
                      <td>{policy.sources[field.name]}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
              <details>
                <summary>Change the tenant policy</summary>
                <p class="muted">Empty removes a limit; untouched fields stay as they are.</p>
                <PolicyForm policy={policy} submitLabel="Save tenant policy" onSave={save('/v1/limits', tenant.reload)} />
              </details>
            </>
          )}
        </Loaded>
      </section>
      <section aria-labelledby="user-policy">
        <h2 id="user-policy">A user's limits and usage</h2>
        <form
          class="filters"
          onSubmit={(event) => {
            event.preventDefault();
            setLookedUp(user.trim() || undefined);
          }}
        >
          <Field label="User id">
            <input value={user} required onInput={(event) => setUser(event.currentTarget.value)} />
          </Field>
          <button type="submit">Show</button>
        </form>
        {lookedUp && (
          <Loaded state={userPolicy}>
            {(effective) => (
              <>
                <table data-testid="user-limits">
                  <caption class="visually-hidden">Limits of {effective.user}</caption>
                  <thead>
                    <tr>
                      <th scope="col">Limit</th>
                      <th scope="col">Effective</th>
                      <th scope="col">From</th>
                      <th scope="col">Used</th>
                    </tr>
                  </thead>
                  <tbody>
                    {fields.map((field) => {
                      const limit = effective.policy[field.name];
                      const used = usageOf[field.name]?.(effective.usage);
                      return (
                        <tr key={field.name}>
                          <th scope="row">{field.label}</th>
                          <td>{shown(limit)}</td>
                          <td>{effective.overrides.includes(field.name) ? 'user override' : effective.sources[field.name]}</td>
                          <td>
                            {used === undefined ? '—' : used}
                            {used !== undefined && limit !== null && Number(limit) > 0 && (
                              <meter min={0} max={Number(limit)} value={Number(used)} aria-label={`${field.label}: ${used} of ${shown(limit)}`} />
                            )}
                          </td>
                        </tr>
                      );
                    })}
                  </tbody>
                </table>
                <details>
                  <summary>Override {effective.user}'s limits</summary>
                  <PolicyForm
                    policy={effective.policy}
                    submitLabel="Save override"
                    onSave={save(`/v1/limits/users/${encodeURIComponent(effective.user)}`, userPolicy.reload)}
                  />
                  <button type="button" onClick={() => void action.run(() => api('DELETE', `/v1/limits/users/${encodeURIComponent(effective.user)}`)).then(userPolicy.reload)}>
                    Remove the override
                  </button>
                </details>
              </>
            )}
          </Loaded>
        )}
      </section>
    </>
  );
}
