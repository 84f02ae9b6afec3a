import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { credentialStat } from '#libs/emulator-kit';
import type { ClaudeEmulator } from '#providers/claude';
import { dedicatedDatabase } from '../support/dedicated-database.js';
import { grantTargets } from '../support/target-grants.js';
import { createTenantWithKeys, startTestBroker, uniqueName, type TestBroker } from '../support/test-broker.js';

/**
 * Issue 20 item 6: a target names an operator-configured identity, and the
 * provider receives that identity's credentials. Claude is the runtime whose
 * emulator sees the credential itself (the API key), so the HTTP-level proof
 * runs there; the other runtimes' credential providers are tested beside
 * them (agentcore-, foundry-, vertex-credentials.test.ts).
 */
const financeKey = 'sk-ant-workspace-finance-0001';
const retailKey = 'sk-ant-workspace-retail-0002';
/** The Claude runtime's key against its emulator (claude-runtime.ts). */
const platformKey = 'sk-ant-emulated';

const keyDir = mkdtempSync(path.join(tmpdir(), 'identities-'));
writeFileSync(path.join(keyDir, 'finance-api-key'), `${financeKey}\n`);
/** As an operator writes it: one Secret mounted as a file, one exposed as a variable, and an AWS role. */
const identities = {
  'ws-finance': { kind: 'anthropic', apiKeyFile: path.join(keyDir, 'finance-api-key') },
  'ws-retail': { kind: 'anthropic', apiKeyEnv: 'RETAIL_ANTHROPIC_KEY' },
  'bu-aws': { kind: 'aws', roleArn: 'arn:aws:iam::123456789012:role/agents', externalId: 'ext-1' },
};
const brokerEnv = (configured: object) => ({
  SWITCHBOARD_IDENTITIES: JSON.stringify(configured),
  RETAIL_ANTHROPIC_KEY: retailKey,
  SWITCHBOARD_CLAUDE_MODE: 'emulated',
  // Only Claude runs: the others' emulators would cost CPU and prove nothing here.
  SWITCHBOARD_AGENTCORE_MODE: 'off',
  SWITCHBOARD_FOUNDRY_MODE: 'off',
  SWITCHBOARD_VERTEX_MODE: 'off',
});

describe('provider identities: targets name operator-configured credentials', () => {
  let sb: TestBroker;
  /**
   * A database of the test's own: a second broker starts on it, and no other run's live sessions are there
   * (a broker's background work on those calls Claude too, with their own keys).
   */
  const dataDir = process.env.DATABASE_URL ? undefined : mkdtempSync(path.join(tmpdir(), 'identities-db-'));
  let databaseEnv: Record<string, string> = dataDir ? { SWITCHBOARD_DATA_DIR: dataDir } : {};
  let dropDatabase: () => Promise<void> = async () => {};
  let demo: Record<string, unknown>;

  before(async () => {
    if (process.env.DATABASE_URL) {
      const dedicated = await dedicatedDatabase(process.env.DATABASE_URL);
      databaseEnv = { DATABASE_URL: dedicated.url };
      dropDatabase = dedicated.drop;
    }
    sb = await startTestBroker({ ...brokerEnv(identities), ...databaseEnv });
    demo = sb.broker.runtimes.demoTargets().claude as Record<string, unknown>;
  });
  after(async () => {
    await sb.close();
    await dropDatabase();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    rmSync(keyDir, { recursive: true, force: true });
  });

  const emulator = () => sb.broker.runtimes.emulator<ClaudeEmulator>('claude')!;
  /** The credentials (by fingerprint) the Claude API saw since the last reset. */
  const credentialsSeen = () => Object.keys(emulator().stats.snapshot()).filter((op) => op.startsWith('credential ')).sort();

  async function agentWith(tenant: { tenantId: string; keys: { admin: { key: string } } }, identity: string | undefined): Promise<string> {
    const target = { ...demo, ...(identity ? { identity } : {}) };
    await grantTargets(sb, tenant.tenantId, { claude: target });
    const name = uniqueName(identity ?? 'platform');
    const created = await sb.as(tenant.keys.admin.key).post('/v1/agents', { name, defaultProvider: 'claude', targets: { claude: target } });
    assert.equal(created.status, 201, created.text);
    assert.equal(created.json.targets.claude.identity, identity);
    return name;
  }

  test("a session of an agent whose target names an identity reaches Claude with that identity's key, and only with it", async () => {
    const tenant = await createTenantWithKeys(sb, ['admin', 'app']);
    const app = sb.as(tenant.keys.app.key, { 'x-end-user': 'u-1' });
    const expected: Array<[string | undefined, string]> = [
      ['ws-finance', financeKey],
      ['ws-retail', retailKey],
      [undefined, platformKey],
    ];
    for (const [identity, key] of expected) {
      const agent = await agentWith(tenant, identity);
      emulator().stats.reset();
      const session = await app.post('/v1/sessions', { agent, provider: 'claude' });
      assert.equal(session.status, 201, session.text);
      const turn = await app.post(`/v1/sessions/${session.json.id}/turns`, { input: 'hello' });
      assert.equal(turn.status, 200, turn.text);
      assert.equal(turn.json.turn.status, 'completed', turn.text);
      assert.equal((await app.delete(`/v1/sessions/${session.json.id}`)).status < 300, true);
      // Create, stream, send, usage read, archive: every call with this identity's key, none with another's.
      assert.deepEqual(credentialsSeen(), [credentialStat(key)], `${identity ?? 'no identity'}`);
      assert.ok(emulator().stats.get('sessions.create') === 1 && emulator().stats.get(credentialStat(key)) >= 4, JSON.stringify(emulator().stats.snapshot()));
    }
  });

  test('two agents with different identities, used at once, stay apart', async () => {
    const tenant = await createTenantWithKeys(sb, ['admin', 'app']);
    const app = sb.as(tenant.keys.app.key, { 'x-end-user': 'u-2' });
    const finance = await agentWith(tenant, 'ws-finance');
    const retail = await agentWith(tenant, 'ws-retail');
    const [a, b] = await Promise.all([app.post('/v1/sessions', { agent: finance }), app.post('/v1/sessions', { agent: retail })]);
    assert.equal(a.status, 201, a.text);
    assert.equal(b.status, 201, b.text);
    // Interleaved turns: a client per identity, never a shared one picking up the other's key.
    emulator().stats.reset();
    await Promise.all([
      app.post(`/v1/sessions/${a.json.id}/turns`, { input: 'one' }),
      app.post(`/v1/sessions/${b.json.id}/turns`, { input: 'two' }),
    ]);
    emulator().stats.reset();
    const onlyFinance = await app.post(`/v1/sessions/${a.json.id}/turns`, { input: 'three' });
    assert.equal(onlyFinance.status, 200, onlyFinance.text);
    assert.deepEqual(credentialsSeen(), [credentialStat(financeKey)]);
    emulator().stats.reset();
    const onlyRetail = await app.post(`/v1/sessions/${b.json.id}/turns`, { input: 'four' });
    assert.equal(onlyRetail.status, 200, onlyRetail.text);
    assert.deepEqual(credentialsSeen(), [credentialStat(retailKey)]);
  });

  test('refusals: an identity the broker does not hold, or of another cloud, is 400 at create and update; one not granted to the tenant is 403', async () => {
    const tenant = await createTenantWithKeys(sb, ['admin']);
    const admin = sb.as(tenant.keys.admin.key);
    await grantTargets(sb, tenant.tenantId, { claude: demo });
    const agent = await admin.post('/v1/agents', { name: uniqueName('plain'), defaultProvider: 'claude', targets: { claude: demo } });
    assert.equal(agent.status, 201, agent.text);
    const cases: Array<[string, RegExp]> = [
      ['ws-nobody', /no identity named "ws-nobody" is configured on this broker/],
      ['bu-aws', /identity "bu-aws" is a aws identity; this runtime needs a anthropic one/],
    ];
    for (const [identity, message] of cases) {
      const target = { ...demo, identity };
      for (const answer of [
        await admin.post('/v1/agents', { name: uniqueName('bad'), defaultProvider: 'claude', targets: { claude: target } }),
        await admin.patch(`/v1/agents/${agent.json.id}`, { targets: { claude: target } }),
      ]) {
        assert.equal(answer.status, 400, answer.text);
        assert.equal(answer.json.code, 'invalid_request');
        assert.deepEqual(answer.json.errors.map((error: { path: string }) => error.path), ['body.targets.claude.identity']);
        assert.match(answer.json.errors[0].message, message);
      }
    }
    // Not a name at all: the target schema's own 400.
    const malformed = await admin.post('/v1/agents', { name: uniqueName('bad'), defaultProvider: 'claude', targets: { claude: { ...demo, identity: 'no spaces!' } } });
    assert.equal(malformed.status, 400, malformed.text);

    // Configured, but the operator has not granted it to this tenant: one business unit's credentials are not another's.
    const ungranted = await admin.post('/v1/agents', { name: uniqueName('ungranted'), defaultProvider: 'claude', targets: { claude: { ...demo, identity: 'ws-finance' } } });
    assert.equal(ungranted.status, 403, ungranted.text);
    assert.equal(ungranted.json.code, 'target_not_allowed');
    assert.match(ungranted.json.errors[0].message, /claude identity ws-finance is not granted to this tenant/);
    const granted = await sb.operator.post(`/v1/tenants/${tenant.tenantId}/target-grants`, { provider: 'claude', kind: 'identity', value: 'ws-finance' });
    assert.equal(granted.status, 201, granted.text);
    const now = await admin.patch(`/v1/agents/${agent.json.id}`, { targets: { claude: { ...demo, identity: 'ws-finance' } } });
    assert.equal(now.status, 200, now.text);
    const badGrant = await sb.operator.post(`/v1/tenants/${tenant.tenantId}/target-grants`, { provider: 'claude', kind: 'identity', value: 'not a name' });
    assert.equal(badGrant.status, 400, badGrant.text);
  });

  test("the target check asks with the identity's key; after the operator removes the identity, the check is 400 and sessions are 403 before Claude is called", async () => {
    const tenant = await createTenantWithKeys(sb, ['admin', 'app']);
    const agent = await agentWith(tenant, 'ws-retail');
    const admin = sb.as(tenant.keys.admin.key);
    const agentId = (await admin.get('/v1/agents')).json.data.find((candidate: { name: string }) => candidate.name === agent).id as string;
    emulator().stats.reset();
    const checked = await admin.post(`/v1/agents/${agentId}/check`, {});
    assert.equal(checked.status, 200, checked.text);
    assert.deepEqual(checked.json.targets.claude, { ok: true });
    assert.deepEqual(credentialsSeen(), [credentialStat(retailKey)]);

    // The operator drops ws-retail from the configuration and restarts the broker on the same database.
    await sb.close();
    const { 'ws-retail': _dropped, ...remaining } = identities;
    sb = await startTestBroker({ ...brokerEnv(remaining), ...databaseEnv });
    const adminAgain = sb.as(tenant.keys.admin.key);
    const recheck = await adminAgain.post(`/v1/agents/${agentId}/check`, {});
    assert.equal(recheck.status, 400, recheck.text);
    assert.deepEqual(recheck.json.errors.map((error: { path: string }) => error.path), ['targets.claude.identity']);
    assert.match(recheck.json.errors[0].message, /no identity named "ws-retail"/);
    const session = await sb.as(tenant.keys.app.key, { 'x-end-user': 'u-3' }).post('/v1/sessions', { agent });
    assert.equal(session.status, 403, session.text);
    assert.equal(session.json.code, 'target_not_allowed');
    assert.deepEqual(session.json.errors.map((error: { path: string }) => error.path), ['agent.targets.claude.identity']);
    assert.match(session.json.errors[0].message, /no identity named "ws-retail" is configured on this broker; update the agent/);
    assert.equal(emulator().stats.get('sessions.create'), 0);
    // (The new broker's background work on other tests' live sessions may call with their keys; never with the dropped one.)
    assert.equal(credentialsSeen().includes(credentialStat(retailKey)), false);
  });
});
