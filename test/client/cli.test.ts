import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startClientFixture, type ClientFixture } from '../support/client-fixture.js';
import { runCli, runProcess, type CliRun } from '../support/cli-process.js';
import { uniqueName } from '../support/test-broker.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** The code block after `<!-- marker -->` in the README. */
function readmeBlock(marker: string): string {
  const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
  const match = new RegExp(`<!-- ${marker} -->\\n\`\`\`\\w+\\n([\\s\\S]*?)\`\`\``).exec(readme);
  assert.ok(match, `README has no ${marker} block`);
  return match[1];
}

/** The `switchboard` CLI, run as a user runs it, against a real broker. */
describe('switchboard CLI', () => {
  let fx: ClientFixture;
  let home: string;
  const env = (extra: Record<string, string> = {}) => ({ XDG_CONFIG_HOME: home, HOME: home, ...extra });
  /** As a role, through the environment variables. */
  const as = (role: keyof ClientFixture['keys'], args: string[], user?: string) =>
    runCli(args, env({ SWITCHBOARD_URL: fx.sb.url, SWITCHBOARD_API_KEY: fx.keys[role].key, ...(user ? { SWITCHBOARD_END_USER: user } : {}) }));
  const ok = (run: CliRun) => {
    assert.equal(run.code, 0, `exit ${run.code}\n${run.stdout}\n${run.stderr}`);
    return run.stdout;
  };
  const json = async (run: Promise<CliRun>) => JSON.parse(ok(await run));

  before(async () => {
    fx = await startClientFixture(120);
    home = mkdtempSync(path.join(tmpdir(), 'switchboard-cli-'));
  });
  after(async () => {
    await fx?.close();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  test('login saves url and key 0600; later commands use them; flags and env override', async () => {
    const login = await runCli(['login', '--url', fx.sb.url, '--key', fx.keys.app.key, '--user', 'u-cli'], env());
    assert.match(ok(login), /logged in to .* as app of tenant/);
    const file = path.join(home, 'switchboard', 'profile.json');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.deepEqual(JSON.parse(readFileSync(file, 'utf8')), { url: fx.sb.url, key: fx.keys.app.key, user: 'u-cli' });
    const me = JSON.parse(ok(await runCli(['whoami', '--json'], env())));
    assert.equal(me.role, 'app');
    assert.equal(me.user, 'u-cli');
    // The environment wins over the profile, a flag over both.
    assert.equal(JSON.parse(ok(await runCli(['whoami', '--json'], env({ SWITCHBOARD_END_USER: 'u-env' })))).user, 'u-env');
    assert.equal(JSON.parse(ok(await runCli(['--user', 'u-flag', 'whoami', '--json'], env({ SWITCHBOARD_END_USER: 'u-env' })))).user, 'u-flag');
    assert.equal(JSON.parse(ok(await runCli(['whoami', '--json', '--key', fx.keys.auditor.key], env()))).role, 'auditor');
  });

  test('sessions create|list|show|end and a turn streamed to stdout as it arrives', async () => {
    const user = uniqueName('u');
    const session = await json(as('app', ['sessions', 'create', '--agent', fx.agent, '--metadata', 'ticket=T-1', '--json'], user));
    assert.match(session.id, /^ses_/);
    assert.deepEqual(session.metadata, { ticket: 'T-1' });
    assert.match(ok(await as('app', ['sessions', 'list'], user)), new RegExp(`ID\\s+AGENT.NAME[\\s\\S]*${session.id}\\s+${fx.agent}`));
    assert.match(ok(await as('app', ['sessions', 'show', session.id], user)), /status\s+idle/);

    const turn = await as('app', ['turn', session.id, 'Where is my refund?'], user);
    ok(turn);
    const events = await fx.sb.as(fx.keys.app.key, { 'x-end-user': user }).get(`/v1/sessions/${session.id}/events`);
    const completed = (events.json.data as Array<{ type: string; data: { content: Array<{ text: string }> } }>).find((event) => event.type === 'message.completed')!;
    assert.equal(turn.stdout, `${completed.data.content[0].text}\n`, 'stdout is the reply');
    const texts = turn.chunks.filter((chunk) => chunk.text.trim().length > 0);
    assert.ok(texts.length >= 2, `the reply arrived in pieces (${texts.length} chunks)`);
    assert.ok(texts.at(-1)!.at - texts[0].at >= 100, 'over time, as the agent streamed it');

    const jsonl = ok(await as('app', ['turn', session.id, 'again', '--json'], user)).trim().split('\n').map((line) => JSON.parse(line));
    assert.equal(jsonl[0].type, 'turn.started');
    assert.equal(jsonl.at(-1).type, 'turn.completed');

    const ended = await json(as('app', ['sessions', 'end', session.id, '--json'], user));
    assert.equal(ended.status, 'terminated');
    const refused = await as('app', ['turn', session.id, 'after the end'], user);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /410 session_terminated/);
  });

  test('exit codes: 2 for a problem (with its fields), 1 for usage, 3 when the broker cannot be reached', async () => {
    const problem = await as('app', ['sessions', 'create', '--agent', 'no-such-agent'], 'u-cli');
    assert.equal(problem.code, 2);
    assert.match(problem.stderr, /error: 404 not_found/);
    assert.match(problem.stderr, /request id \S+/);
    const invalid = await as('admin', ['limits', 'set', 'maxActiveSessionsPerUser=lots']);
    assert.equal(invalid.code, 2);
    assert.match(invalid.stderr, /400 invalid_request[\s\S]*maxActiveSessionsPerUser/);
    const usage = await as('app', ['sessions', 'create']);
    assert.equal(usage.code, 1);
    assert.match(usage.stderr, /required option '--agent <agent>'/);
    assert.equal((await runCli(['sessions', 'list'], env({ XDG_CONFIG_HOME: path.join(home, 'empty') }))).code, 1, 'no broker configured');
    const network = await runCli(['sessions', 'list', '--url', 'http://127.0.0.1:9', '--key', 'sbk_x', '--user', 'u'], env());
    assert.equal(network.code, 3);
    assert.match(network.stderr, /cannot reach the broker/);
    const help = await runCli(['keys', 'rotate', '--help'], env());
    assert.equal(help.code, 0);
    assert.match(help.stdout, /--grace-seconds/);
  });

  test('tenants and keys as the operator; keys as a tenant admin: create, list, rotate, revoke', async () => {
    const operator = (args: string[]) => runCli(args, env({ SWITCHBOARD_URL: fx.sb.url, SWITCHBOARD_API_KEY: fx.sb.operatorKey }));
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
    const file = path.join(home, 'agent.yaml');
    const target = fx.emulator.demoTarget;
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
    const one = await json(as('app', ['sessions', 'create', '--agent', fx.agent, '--json'], user));
    const two = await json(as('app', ['sessions', 'create', '--agent', fx.agent, '--json'], user));
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
    const exportFile = path.join(home, 'audit.jsonl');
    const exported = await as('auditor', ['audit', 'export', '-o', exportFile]);
    ok(exported);
    assert.equal(exported.stderr, '', 'no progress line when stderr is not a terminal');
    assert.ok(readFileSync(exportFile, 'utf8').trim().split('\n').some((line) => JSON.parse(line).type === 'session.bound'));

    assert.match(ok(await as('finance', ['costs', 'summary', '--group-by', 'user'])), /total \d+(\.\d+)? USD/);
    const focus = ok(await as('finance', ['costs', 'export', '--format', 'focus-csv']));
    assert.match(focus.split('\n')[0], /BilledCost/);
  });

  test('the README walkthroughs run exactly as written', async (t) => {
    // The shell the README assumes after `npm start`: its export lines, the checkout's bins (npx finds switchboard).
    const agentCreated = await fx.sb.as(fx.keys.admin.key).post('/v1/agents', { name: 'demo-agent', defaultProvider: 'claude', targets: { claude: fx.emulator.demoTarget } });
    assert.equal(agentCreated.status, 201, agentCreated.text);
    const workdir = mkdtempSync(path.join(root, '.switchboard-readme-'));
    const shellEnv = {
      PATH: `${path.join(root, 'node_modules/.bin')}:${process.env.PATH ?? ''}`,
      HOME: home,
      XDG_CONFIG_HOME: path.join(home, 'readme'),
      npm_config_cache: process.env.npm_config_cache ?? path.join(home, 'npm-cache'),
      SB: fx.sb.url,
      APP_KEY: fx.keys.app.key,
      ADMIN_KEY: fx.keys.admin.key,
    };
    try {
      writeFileSync(path.join(workdir, 'walkthrough.mjs'), readmeBlock('client-walkthrough'));
      const client = await runProcess('node', ['walkthrough.mjs'], { cwd: workdir, env: shellEnv });
      t.diagnostic(`client walkthrough:\n${client.stdout}${client.stderr}`);
      assert.equal(client.code, 0, client.stderr);
      assert.match(client.stdout, /\ncompleted: .+\n404 not_found \S+\n$/);

      const cli = await runProcess('bash', ['--noprofile', '--norc', '-euo', 'pipefail', '-c', readmeBlock('cli-walkthrough')], { cwd: workdir, env: shellEnv });
      t.diagnostic(`CLI walkthrough:\n${cli.stdout}${cli.stderr}`);
      assert.equal(cli.code, 0, cli.stderr);
      assert.match(cli.stdout, /logged in to .* as admin/);
      assert.match(cli.stdout, /\+ targets\.claude\.agentId: "agent_011CSwitchboardDemoAgent"\n[\s\S]*agent refunds created/);
      assert.match(cli.stdout, /maxActiveSessionsPerUser\s+3/);
      assert.match(cli.stdout, /ses_\S+\s+refunds\s+claude\s+u-42\s+idle/);
      assert.match(cli.stdout, /terminated\n$/);
    } finally {
      rmSync(workdir, { recursive: true, force: true });
    }
  });
});
