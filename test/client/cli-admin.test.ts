import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { runCli } from '../support/cli-process.js';
import { json, ok, startCliHarness, type CliHarness } from '../support/cli-harness.js';
import { uniqueName } from '../support/test-broker.js';

/** The `switchboard` CLI's administration commands against a real broker: tenants, keys, agents, admin, limits, audit, costs. */
describe('switchboard CLI: administration', { skip: process.env.DATABASE_URL ? 'the embedded run covers it (no database-specific behaviour)' : false }, () => {
  let h: CliHarness;
  before(async () => {
    h = await startCliHarness();
  });
  after(() => h?.close());
  const env = (extra?: Record<string, string>) => h.env(extra);
  const as: CliHarness['as'] = (role, args, user) => h.as(role, args, user);

  test('tenants and keys as the operator; keys as a tenant admin: create, list, rotate, revoke', async () => {
    const operator = (args: string[]) => runCli(args, env({ SWITCHBOARD_URL: h.fx.sb.url, SWITCHBOARD_API_KEY: h.fx.sb.operatorKey }));
    const name = uniqueName('cli-tenant');
    const tenant = await json(operator(['tenants', 'create', name, '--json']));
    assert.match(ok(await operator(['tenants', 'list'])), new RegExp(`${tenant.id}\\s+${name}`));
    const adminKey = await json(operator(['keys', 'create', '--tenant', tenant.id, '--role', 'admin', '--name', 'boot', '--json']));
    assert.match(adminKey.key, /^sbk_/);
    assert.match(ok(await operator(['keys', 'list', '--tenant', tenant.id])), new RegExp(`${adminKey.id}\\s+admin\\s+boot`));

    const created = await json(as('admin', ['keys', 'create', '--role', 'finance', '--name', 'books', '--json']));
    const rotated = await json(as('admin', ['keys', 'rotate', created.id, '--grace-seconds', '0', '--json']));
    assert.notEqual(rotated.id, created.id);
    assert.equal(rotated.role, 'finance');
    ok(await as('admin', ['keys', 'revoke', rotated.id]));
    const listed = await json(as('admin', ['keys', 'list', '--json']));
    assert.ok(listed.find((key: { id: string; revokedAt: string | null }) => key.id === rotated.id).revokedAt);
  });

  test('agents apply -f (create, update with the difference, unchanged), list, check', async () => {
    const name = uniqueName('yaml-agent');
    const file = path.join(h.home, 'agent.yaml');
    const target = h.fx.emulator.demoTarget;
    const write = (description: string) =>
      writeFileSync(file, `name: ${name}\ndescription: ${description}\ndefaultProvider: claude\ntargets:\n  claude:\n    agentId: ${target.agentId}\n    environmentId: ${target.environmentId}\n`);
    write('first');
    const created = ok(await as('admin', ['agents', 'apply', '-f', file]));
    assert.match(created, /\+ description: "first"/);
    assert.match(created, new RegExp(`agent ${name} created \\(agt_`));
    write('second');
    const updated = ok(await as('admin', ['agents', 'apply', '-f', file]));
    assert.equal(updated.split('\n')[0], '~ description: "first" → "second"');
    assert.match(updated, /updated/);
    assert.doesNotMatch(updated, /targets/);
    const same = await json(as('admin', ['agents', 'apply', '-f', file, '--json']));
    assert.equal(same.action, 'unchanged');
    assert.deepEqual(same.changes, []);
    assert.match(ok(await as('admin', ['agents', 'list'])), new RegExp(`${name}\\s+claude\\s+claude`));
    assert.match(ok(await as('admin', ['agents', 'check', name])), /claude\s+true/);
  });

  test('admin sessions and kill; limits get and set; audit search, verify, export; costs summary and export --format focus-csv', async () => {
    const user = uniqueName('u-kill');
    const one = await json(as('app', ['sessions', 'create', '--agent', h.fx.agent, '--json'], user));
    const two = await json(as('app', ['sessions', 'create', '--agent', h.fx.agent, '--json'], user));
    assert.match(ok(await as('admin', ['admin', 'sessions', '--for', user])), new RegExp(one.id));
    assert.equal((await json(as('admin', ['admin', 'kill', one.id, '--json']))).terminationReason, 'admin');
    assert.deepEqual((await json(as('admin', ['admin', 'kill', '--for', user, '--json']))).sessions, [two.id]);

    const set = await json(as('admin', ['limits', 'set', 'maxActiveSessionsPerUser=4', 'monthlyBudgetUsdPerUser=25', 'turnsPerMinutePerUser=null', '--json']));
    assert.equal(set.maxActiveSessionsPerUser, 4);
    assert.equal(set.monthlyBudgetUsdPerUser, '25');
    assert.equal(set.turnsPerMinutePerUser, null);
    assert.match(ok(await as('admin', ['limits', 'get'])), /maxActiveSessionsPerUser\s+4/);
    ok(await as('admin', ['limits', 'set', 'maxActiveSessionsPerUser=2', '--for', user]));
    assert.equal((await json(as('admin', ['limits', 'get', '--for', user, '--json']))).policy.maxActiveSessionsPerUser, 2);

    const search = ok(await as('auditor', ['audit', 'search', '--for', user, '--type', 'session.bound']));
    assert.equal(search.trim().split('\n').length, 3, `a header and two bindings:\n${search}`);
    assert.match(ok(await as('auditor', ['audit', 'verify'])), /ok\s+true/);
    const exportFile = path.join(h.home, 'audit.jsonl');
    const exported = await as('auditor', ['audit', 'export', '-o', exportFile]);
    ok(exported);
    assert.equal(exported.stderr, '', 'no progress line when stderr is not a terminal');
    assert.ok(readFileSync(exportFile, 'utf8').trim().split('\n').some((line) => JSON.parse(line).type === 'session.bound'));

    assert.match(ok(await as('finance', ['costs', 'summary', '--group-by', 'user'])), /total \d+(\.\d+)? USD/);
    const focus = ok(await as('finance', ['costs', 'export', '--format', 'focus-csv']));
    assert.match(focus.split('\n')[0], /BilledCost/);
  });
});
