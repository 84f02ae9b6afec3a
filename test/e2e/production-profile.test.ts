import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { productionBodyLimitBytes } from '#libs/config';
import { runBrokerToExit, spawnBroker } from '../support/broker-process.js';

/** What a production deployment must set (README: Production); the refusal test leaves all of it out. */
function productionSettings(databaseUrl: string): Record<string, string> {
  return {
    SWITCHBOARD_PROFILE: 'production',
    DATABASE_URL: databaseUrl,
    SWITCHBOARD_ADMIN_KEY: `sbk_prod_operator_${randomBytes(16).toString('hex')}`,
    SWITCHBOARD_AUDIT_KEYS: `prod-1:${randomBytes(32).toString('base64')}`,
    HTTP_TRUST_PROXY_HOPS: '1',
  };
}

/** The production profile, on the real broker process as the Docker image runs it. */
describe('the production profile', () => {
  test('refuses to start, listing every problem at once', async () => {
    const refused = await runBrokerToExit({
      SWITCHBOARD_PROFILE: 'production',
      SWITCHBOARD_SEED_DEMO: 'auto',
      SWITCHBOARD_EMULATORS: 'auto',
      // Live with credentials: allowed, so it must not be listed.
      SWITCHBOARD_CLAUDE_MODE: 'live',
      ANTHROPIC_API_KEY: 'sk-ant-not-called',
      // Explicitly emulated: refused even though emulators are otherwise off.
      SWITCHBOARD_VERTEX_MODE: 'emulated',
      SWITCHBOARD_FOUNDRY_MODE: 'off',
    });
    assert.equal(refused.code, 1, refused.output);
    const problems = refused.output
      .split('\n')
      .filter((line) => line.startsWith('  - '))
      .map((line) => line.slice(4).split(':')[0])
      .sort();
    assert.deepEqual(problems, [
      'DATABASE_URL',
      'HTTP_TRUST_PROXY_HOPS',
      'SWITCHBOARD_ADMIN_KEY',
      'SWITCHBOARD_AGENTCORE_MODE',
      'SWITCHBOARD_AUDIT_KEYS',
      'SWITCHBOARD_SEED_DEMO',
      'SWITCHBOARD_VERTEX_MODE',
    ]);
    assert.doesNotMatch(refused.output, /listening on/);
  });

  test('the development profile (npm start) accepts what production refuses', async () => {
    // Only the config is judged here: an unusable port makes the process exit right after it.
    const result = await runBrokerToExit({ SWITCHBOARD_SEED_DEMO: 'auto', SWITCHBOARD_VERTEX_MODE: 'emulated', PORT: '-1' });
    assert.equal(result.code, 1);
    assert.deepEqual(
      result.output.split('\n').filter((line) => line.startsWith('  - ')),
      ['  - PORT: Too small: expected number to be >=0'],
    );
  });

  test('starts with production settings, logs the profile and each runtime mode, and applies the stricter body limit', { skip: process.env.DATABASE_URL ? false : 'the production profile needs PostgreSQL (DATABASE_URL)' }, async () => {
    const settings = productionSettings(process.env.DATABASE_URL!);
    const broker = await spawnBroker({
      ...settings,
      // Live against a loopback address nothing listens on: starting a live runtime makes no call.
      SWITCHBOARD_CLAUDE_MODE: 'live',
      ANTHROPIC_API_KEY: 'sk-ant-not-called',
      ANTHROPIC_BASE_URL: 'http://127.0.0.1:9',
    });
    try {
      assert.match(broker.output(), /profile production; runtimes: claude=live, agentcore=off, foundry=off, vertex=off/);
      assert.doesNotMatch(broker.output(), /APP_KEY=|SWITCHBOARD_ADMIN_KEY=/, 'no demo tenant and no generated operator key');
      const oversized = JSON.stringify({ name: 'x'.repeat(productionBodyLimitBytes) });
      const response = await fetch(`${broker.url}/v1/tenants`, {
        method: 'POST',
        headers: { authorization: `Bearer ${settings.SWITCHBOARD_ADMIN_KEY}`, 'content-type': 'application/json' },
        body: oversized,
      });
      assert.equal(response.status, 413);
      assert.equal(((await response.json()) as { code: string }).code, 'payload_too_large');
    } finally {
      broker.child.kill('SIGTERM');
      assert.equal(await broker.exited, 0);
    }
  });
});
