import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { readYaml, repoPath, run, tool } from '../support/deploy-files.js';
import { startTestBroker, type TestBroker } from '../support/test-broker.js';

const promtool = tool('promtool');

interface Panel {
  type: string;
  title: string;
  id: number;
  targets?: Array<{ expr: string }>;
}
const dashboard = JSON.parse(readFileSync(repoPath('deploy/grafana/switchboard.json'), 'utf8')) as { uid: string; panels: Panel[] };
const rules = readYaml<{ groups: Array<{ rules: Array<{ alert: string; expr: string }> }> }>('deploy/prometheus/alerts.yml').groups.flatMap((group) => group.rules);

/** The Switchboard metric names a PromQL expression uses. */
const metricNames = (expr: string) => expr.match(/\bswitchboard_[a-z0-9_]+/g) ?? [];

/** Every series name /metrics can carry: each `# TYPE`'s name, and a histogram's _bucket, _sum and _count. */
function exportedNames(metricsText: string): Set<string> {
  const names = new Set<string>();
  for (const [, name, type] of metricsText.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    names.add(name);
    if (type === 'histogram' || type === 'summary') for (const suffix of ['_bucket', '_sum', '_count']) names.add(name + suffix);
  }
  return names;
}

describe('dashboards and alert rules (deploy/grafana, deploy/prometheus)', { skip: process.env.DATABASE_URL ? 'the embedded run covers it (no database-specific behaviour)' : false }, () => {
  let sb: TestBroker;
  before(async () => (sb = await startTestBroker()));
  after(async () => sb?.close());

  test("every metric the dashboard and the alert rules use is exported by a real broker's /metrics", async () => {
    const scraped = await sb.anonymous.get('/metrics');
    assert.equal(scraped.status, 200);
    const exported = exportedNames(scraped.text);
    const used = new Map<string, string>();
    for (const panel of dashboard.panels) for (const target of panel.targets ?? []) for (const name of metricNames(target.expr)) used.set(name, `panel "${panel.title}"`);
    for (const rule of rules) for (const name of metricNames(rule.expr)) used.set(name, `alert ${rule.alert}`);
    const missing = [...used].filter(([name]) => !exported.has(name)).map(([name, where]) => `${name} (${where})`);
    assert.deepEqual(missing, []);
    console.log(`${used.size} metric names used by ${dashboard.panels.filter((panel) => panel.targets).length} panels and ${rules.length} rules, all exported`);
  });

  test('the dashboard covers sessions, turns, broker share, provider errors, limits, budgets, the reaper and audit verification', () => {
    const used = new Set(dashboard.panels.flatMap((panel) => (panel.targets ?? []).flatMap((target) => metricNames(target.expr))));
    for (const name of [
      'switchboard_live_sessions',
      'switchboard_turn_duration_seconds_count',
      'switchboard_turn_duration_seconds_bucket',
      'switchboard_turn_broker_seconds_sum',
      'switchboard_provider_errors_total',
      'switchboard_limit_denials_total',
      'switchboard_budget_spent_usd_total',
      'switchboard_reaper_leader',
      'switchboard_audit_chain_verified',
    ]) {
      assert.ok(used.has(name), name);
    }
    const ids = dashboard.panels.map((panel) => panel.id);
    assert.equal(new Set(ids).size, ids.length, 'panel ids are unique');
  });

  test('promtool checks the rules and passes their unit tests', { skip: promtool.skip }, () => {
    const checked = run(promtool.path!, ['check', 'rules', 'alerts.yml'], repoPath('deploy/prometheus'));
    assert.match(checked, /SUCCESS: \d+ rules found/);
    const tested = run(promtool.path!, ['test', 'rules', 'alerts.test.yml'], repoPath('deploy/prometheus'));
    assert.match(tested, /SUCCESS/);
    console.log(checked.trim(), '\n', tested.trim());
  });
});
