import { useState } from 'preact/hooks';
import { api, type View } from '../api/client.js';
import { Loaded, ProblemBox, Table, time, useAction, useApi } from '../ui.js';

type Agent = View<'listAgents'>['data'][number];
type Check = View<'checkAgent'>;

/** The tenant's agents, their targets per runtime, and the target check (API.md §3). */
export function AgentsPage() {
  const agents = useApi<View<'listAgents'>>('/v1/agents');
  const [checks, setChecks] = useState<Record<string, Check>>({});
  const action = useAction();
  const check = async (agent: Agent) => {
    const result = await action.run(() => api<Check>('POST', `/v1/agents/${encodeURIComponent(agent.id)}/check`));
    if (result) setChecks((previous) => ({ ...previous, [agent.id]: result }));
  };
  return (
    <section aria-label="Agents">
      <ProblemBox problem={action.error} />
      <Loaded state={agents} empty={(page) => page.data.length === 0} emptyText="No agents yet.">
        {(page) => (
          <Table
            caption="Agents"
            rows={page.data}
            rowKey={(agent) => agent.id}
            columns={[
              { label: 'Name', cell: (agent) => agent.name },
              { label: 'Default runtime', cell: (agent) => agent.defaultProvider },
              {
                label: 'Targets',
                cell: (agent) => (
                  <ul class="plain">
                    {Object.entries(agent.targets).map(([runtime, target]) => {
                      const result = checks[agent.id]?.targets[runtime as keyof Check['targets']];
                      return (
                        <li key={runtime}>
                          <strong>{runtime}</strong> <code>{JSON.stringify(target)}</code>{' '}
                          {result && (
                            <span class={result.ok ? 'ok' : 'bad'}>
                              {result.ok ? '✓ ok' : `✗ ${result.code ?? ''} ${result.detail ?? ''}`}
                            </span>
                          )}
                        </li>
                      );
                    })}
                  </ul>
                ),
              },
              { label: 'Created', cell: (agent) => time(agent.createdAt) },
              {
                label: 'Check',
                cell: (agent) => (
                  <button type="button" disabled={action.busy} onClick={() => void check(agent)} aria-label={`Check the targets of ${agent.name}`}>
                    Check targets
                  </button>
                ),
              },
            ]}
          />
        )}
      </Loaded>
    </section>
  );
}
