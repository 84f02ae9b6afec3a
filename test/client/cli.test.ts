import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { runCli } from '../support/cli-process.js';
import { json, ok, startCliHarness, type CliHarness } from '../support/cli-harness.js';
import { uniqueName } from '../support/test-broker.js';

/** The `switchboard` CLI, run as a user runs it, against a real broker: login, sessions and streamed turns, exit codes. */
describe('switchboard CLI', { skip: process.env.DATABASE_URL ? 'the embedded run covers it (no database-specific behaviour)' : false }, () => {
  let h: CliHarness;
  before(async () => {
    h = await startCliHarness(250);
  });
  after(() => h?.close());
  const env = (extra?: Record<string, string>) => h.env(extra);
  const as: CliHarness['as'] = (role, args, user) => h.as(role, args, user);

  test('login saves url and key 0600; later commands use them; flags and env override', async () => {
    const login = await runCli(['login', '--url', h.fx.sb.url, '--key', h.fx.keys.app.key, '--user', 'u-cli'], env());
    assert.match(ok(login), /logged in to .* as app of tenant/);
    const file = path.join(h.home, 'switchboard', 'profile.json');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.deepEqual(JSON.parse(readFileSync(file, 'utf8')), { url: h.fx.sb.url, key: h.fx.keys.app.key, user: 'u-cli' });
    const me = JSON.parse(ok(await runCli(['whoami', '--json'], env())));
    assert.equal(me.role, 'app');
    assert.equal(me.user, 'u-cli');
    // The environment wins over the profile, a flag over both.
    assert.equal(JSON.parse(ok(await runCli(['whoami', '--json'], env({ SWITCHBOARD_END_USER: 'u-env' })))).user, 'u-env');
    assert.equal(JSON.parse(ok(await runCli(['--user', 'u-flag', 'whoami', '--json'], env({ SWITCHBOARD_END_USER: 'u-env' })))).user, 'u-flag');
    assert.equal(JSON.parse(ok(await runCli(['whoami', '--json', '--key', h.fx.keys.auditor.key], env()))).role, 'auditor');
  });

  test('sessions create|list|show|end and a turn streamed to stdout as it arrives', async () => {
    const user = uniqueName('u');
    const session = await json(as('app', ['sessions', 'create', '--agent', h.fx.agent, '--metadata', 'ticket=T-1', '--json'], user));
    assert.match(session.id, /^ses_/);
    assert.deepEqual(session.metadata, { ticket: 'T-1' });
    assert.match(ok(await as('app', ['sessions', 'list'], user)), new RegExp(`ID\\s+AGENT.NAME[\\s\\S]*${session.id}\\s+${h.fx.agent}`));
    assert.match(ok(await as('app', ['sessions', 'show', session.id], user)), /status\s+idle/);

    const turn = await as('app', ['turn', session.id, 'Where is my refund?'], user);
    ok(turn);
    const events = await h.fx.sb.as(h.fx.keys.app.key, { 'x-end-user': user }).get(`/v1/sessions/${session.id}/events`);
    const completed = (events.json.data as Array<{ type: string; data: { content: Array<{ text: string }> } }>).find((event) => event.type === 'message.completed')!;
    assert.equal(turn.stdout, `${completed.data.content[0].text}\n`, 'stdout is the reply');
    const texts = turn.chunks.filter((chunk) => chunk.text.trim().length > 0);
    assert.ok(texts.length >= 2, `the reply arrived in pieces (${texts.length} chunks)`);
    assert.ok(texts.at(-1)!.at - texts[0].at >= 125, 'over time, as the agent streamed it (250 ms apart)');

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
    assert.equal((await runCli(['sessions', 'list'], env({ XDG_CONFIG_HOME: path.join(h.home, 'empty') }))).code, 1, 'no broker configured');
    const network = await runCli(['sessions', 'list', '--url', 'http://127.0.0.1:9', '--key', 'sbk_x', '--user', 'u'], env());
    assert.equal(network.code, 3);
    assert.match(network.stderr, /cannot reach the broker/);
    const help = await runCli(['keys', 'rotate', '--help'], env());
    assert.equal(help.code, 0);
    assert.match(help.stdout, /--grace-seconds/);
  });
});
