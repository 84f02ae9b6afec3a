import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startClientFixture, type ClientFixture } from '../support/client-fixture.js';
import { runProcess } from '../support/cli-process.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** The code block after `<!-- marker -->` in the README. */
function readmeBlock(marker: string): string {
  const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
  const match = new RegExp(`<!-- ${marker} -->\\n\`\`\`\\w+\\n([\\s\\S]*?)\`\`\``).exec(readme);
  assert.ok(match, `README has no ${marker} block`);
  return match[1];
}

let fx: ClientFixture;
let home: string;
before(async () => {
  fx = await startClientFixture();
  home = mkdtempSync(path.join(tmpdir(), 'switchboard-readme-'));
});
after(async () => {
  await fx?.close();
  if (home) rmSync(home, { recursive: true, force: true });
});

test('the README walkthroughs run exactly as written', { skip: process.env.DATABASE_URL ? 'the embedded run covers it (no database-specific behaviour)' : false }, async (t) => {
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

