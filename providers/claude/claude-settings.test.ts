import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, loadConfig } from '#libs/config';
import { claudeRuntime } from './claude-runtime.js';

const load = (environment: Record<string, string>) => loadConfig(environment, { claude: claudeRuntime.settings });

test('Claude settings: auto mode and no key by default', () => {
  assert.deepEqual(load({}).runtimes.claude, { mode: 'auto', apiKey: undefined, baseUrl: undefined });
  assert.deepEqual(load({ SWITCHBOARD_CLAUDE_MODE: 'live', ANTHROPIC_API_KEY: ' sk-ant-x ' }).runtimes.claude, { mode: 'live', apiKey: 'sk-ant-x', baseUrl: undefined });
});

test('a provider base URL override is https without user info; plain http only to a loopback emulator', () => {
  assert.equal(load({ ANTHROPIC_BASE_URL: 'https://api.anthropic.com' }).runtimes.claude.baseUrl, 'https://api.anthropic.com');
  assert.equal(load({ ANTHROPIC_BASE_URL: 'http://127.0.0.1:4010' }).runtimes.claude.baseUrl, 'http://127.0.0.1:4010');
  for (const bad of ['http://proxy.internal:8080', 'https://user:pw@api.anthropic.com', 'https://api.anthropic.com/?k=v', 'ftp://api.anthropic.com']) {
    assert.throws(
      () => load({ ANTHROPIC_BASE_URL: bad }),
      (error: unknown) => error instanceof ConfigError && error.problems.some((problem) => problem.startsWith('ANTHROPIC_BASE_URL')),
      bad,
    );
  }
});
