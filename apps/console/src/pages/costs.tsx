import { useEffect, useState } from 'preact/hooks';
import { api, download, query, type Problem, type View } from '../api/client.js';
import { StackedBarChart, type StackedBars } from '../chart.js';
import { Field, Loaded, ProblemBox, Table, useAction, useApi, problemOf } from '../ui.js';

type Summary = View<'getCostSummary'>;
const day = 86_400_000;
const isoDay = (time: number) => new Date(time).toISOString().slice(0, 10);
const dayStart = (text: string) => Date.parse(`${text}T00:00:00Z`);
const maxDays = 62;

/**
 * Spend per day stacked by runtime. The summary groups by one dimension at a
 * time, so this asks for each day's by-runtime summary (one call per day, at
 * most `maxDays`).
 */
function useSpendByDay(from: string, to: string) {
  const [state, setState] = useState<{ data?: StackedBars; error?: Problem; loading: boolean }>({ loading: true });
  useEffect(() => {
    let current = true;
    const days: string[] = [];
    for (let time = dayStart(from); time <= dayStart(to) && days.length < maxDays; time += day) days.push(isoDay(time));
    setState((previous) => ({ ...previous, loading: true }));
    Promise.all(days.map((date) => api<Summary>('GET', `/v1/costs/summary${query({ from: `${date}T00:00:00Z`, to: new Date(dayStart(date) + day).toISOString(), groupBy: 'provider' })}`))).then(
      (summaries) => {
        const runtimes = [...new Set(summaries.flatMap((summary) => summary.groups.map((group) => group.key)))].sort();
        const series = runtimes.map((name) => ({ name, values: summaries.map((summary) => Number(summary.groups.find((group) => group.key === name)?.costUsd ?? 0)) }));
        if (current) setState({ data: { labels: days, series }, loading: false });
      },
      (error: unknown) => current && setState({ error: problemOf(error), loading: false }),
    );
    return () => {
      current = false;
    };
  }, [from, to]);
  return state;
}

function TopGroups({ summary, label }: { summary: Summary; label: string }) {
  const top = [...summary.groups].sort((a, b) => Number(b.costUsd) - Number(a.costUsd)).slice(0, 10);
  return (
    <Table
      caption={`Top ${label}`}
      testId={`top-${summary.groupBy}`}
      rows={top}
      rowKey={(group) => group.key}
      columns={[
        { label, cell: (group) => group.key },
        { label: 'Cost (USD)', cell: (group) => group.costUsd },
        { label: 'Sessions', cell: (group) => group.sessions },
        { label: 'Turns', cell: (group) => group.turns },
        { label: 'Tokens in / out', cell: (group) => `${group.inputTokens} / ${group.outputTokens}` },
      ]}
    />
  );
}

/** Spend over time, top users and agents, the price book and the FOCUS export (API.md §7). */
export function CostsPage() {
  const today = isoDay(Date.now());
  const [range, setRange] = useState({ from: isoDay(Date.now() - 6 * day), to: today });
  const period = { from: `${range.from}T00:00:00Z`, to: new Date(dayStart(range.to) + day).toISOString() };
  const validRange = dayStart(range.from) <= dayStart(range.to);
  const spend = useSpendByDay(range.from, validRange ? range.to : range.from);
  const users = useApi<Summary>(validRange ? `/v1/costs/summary${query({ ...period, groupBy: 'user' })}` : null);
  const agents = useApi<Summary>(validRange ? `/v1/costs/summary${query({ ...period, groupBy: 'agent' })}` : null);
  const prices = useApi<View<'getPrices'>>('/v1/prices');
  const [focus, setFocus] = useState({ version: '1.3', format: 'focus-csv' });
  const [downloaded, setDownloaded] = useState<string>();
  const action = useAction();

  return (
    <>
      <form class="filters" aria-label="Date range" onSubmit={(event) => event.preventDefault()}>
        <Field label="From">
          <input type="date" name="from" value={range.from} max={range.to} onChange={(event) => setRange({ ...range, from: event.currentTarget.value })} />
        </Field>
        <Field label="To">
          <input type="date" name="to" value={range.to} min={range.from} onChange={(event) => setRange({ ...range, to: event.currentTarget.value })} />
        </Field>
        <span class="muted">UTC days, both included</span>
      </form>
      {!validRange && <ProblemBox problem={{ title: 'Invalid range', status: 0, detail: 'From must not be after To.' }} />}
      <section aria-labelledby="spend">
        <h2 id="spend">Spend per day by runtime (USD)</h2>
        <Loaded state={spend} empty={(data) => data.series.length === 0} emptyText="No spend in this range.">
          {(data) => <StackedBarChart data={data} title="Spend per day by runtime" unit="USD" />}
        </Loaded>
      </section>
      <div class="columns">
        <section aria-labelledby="top-users">
          <h2 id="top-users">Top users</h2>
          <Loaded state={users} empty={(summary) => summary.groups.length === 0} emptyText="No spend in this range.">
            {(summary) => (
              <>
                <p>
                  Total <strong data-testid="cost-total">{summary.total}</strong> USD
                </p>
                <TopGroups summary={summary} label="User" />
              </>
            )}
          </Loaded>
        </section>
        <section aria-labelledby="top-agents">
          <h2 id="top-agents">Top agents</h2>
          <Loaded state={agents} empty={(summary) => summary.groups.length === 0} emptyText="No spend in this range.">
            {(summary) => <TopGroups summary={summary} label="Agent" />}
          </Loaded>
        </section>
      </div>
      <section aria-labelledby="focus">
        <h2 id="focus">FOCUS export</h2>
        <form
          class="filters"
          onSubmit={(event) => {
            event.preventDefault();
            const extension = focus.format === 'focus-csv' ? 'csv' : 'jsonl';
            void action
              .run(() => download(`/v1/costs/export${query({ ...period, format: focus.format, focusVersion: focus.version })}`, `focus-${focus.version}.${extension}`))
              .then((file) => file && setDownloaded(`${file.name} (${file.bytes} bytes)`));
          }}
        >
          <Field label="FOCUS version">
            <select name="focusVersion" value={focus.version} onChange={(event) => setFocus({ ...focus, version: event.currentTarget.value })}>
              <option>1.2</option>
              <option>1.3</option>
            </select>
          </Field>
          <Field label="Format">
            <select name="format" value={focus.format} onChange={(event) => setFocus({ ...focus, format: event.currentTarget.value })}>
              <option value="focus-csv">CSV</option>
              <option value="focus-jsonl">JSONL</option>
            </select>
          </Field>
          <button type="submit" disabled={!validRange || action.busy}>
            Download
          </button>
        </form>
        {downloaded && <p role="status">Downloaded {downloaded}.</p>}
        <ProblemBox problem={action.error} />
      </section>
      <section aria-labelledby="prices">
        <h2 id="prices">Price book</h2>
        <Loaded state={prices} empty={(book) => book.prices.length === 0}>
          {(book) => (
            <>
              <p class="muted">
                Version {book.version}, {book.createdAt.slice(0, 10)}
                {book.note ? ` — ${book.note}` : ''}
              </p>
              <Table
                caption="Price book"
                rows={book.prices}
                rowKey={(price) => `${price.provider}:${price.unit}`}
                columns={[
                  { label: 'Runtime', cell: (price) => price.provider },
                  { label: 'Unit', cell: (price) => price.unit },
                  { label: 'Price (USD)', cell: (price) => price.unitPrice },
                  { label: 'Source', cell: (price) => price.source },
                  { label: 'Effective', cell: (price) => price.effectiveDate },
                ]}
              />
            </>
          )}
        </Loaded>
      </section>
    </>
  );
}
