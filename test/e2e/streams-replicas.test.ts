import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { startClaudeEmulator, type ClaudeEmulator } from '#providers/claude';
import { claudeLiveOnly } from '../support/claude-live.js';
import { spawnBroker, type BrokerProcess } from '../support/broker-process.js';
import { HttpClient } from '../support/http-client.js';
import { realPlatformLimits } from '../support/platform-limits.js';
import { grantTargets } from '../support/target-grants.js';

const databaseUrl = process.env.DATABASE_URL;
const operatorKey = `sbk_test_operator_${randomBytes(16).toString('hex')}`;

/**
 * The tenant's ceiling on turns in flight holds across replicas: it is
 * counted in the database under the lock every turn claim takes. Two broker
 * processes run Claude `live` against one emulator in the test process, which
 * holds every turn long enough for all of them to be in flight at once.
 */
describe('turns in flight across two replicas', { skip: databaseUrl ? false : 'needs PostgreSQL (DATABASE_URL): the embedded database admits one process' }, () => {
  let emulator: ClaudeEmulator;
  const replicas: BrokerProcess[] = [];

  before(async () => {
    emulator = await startClaudeEmulator();
    for (let index = 0; index < 2; index++) {
      replicas.push(
        await spawnBroker({
          ...realPlatformLimits,
          DATABASE_URL: databaseUrl!,
          SWITCHBOARD_ADMIN_KEY: operatorKey,
          SWITCHBOARD_SEED_DEMO: 'off',
          ...claudeLiveOnly(emulator.url),
        }),
      );
    }
  });
  after(async () => {
    for (const replica of replicas) replica.child.kill('SIGTERM');
    await Promise.all(replicas.map((replica) => replica.exited));
    await emulator.stop();
  });

  test('12 concurrent turns over two replicas with maxOpenStreamsPerTenant 3: exactly 3 run, 9 are 429', async () => {
    const operator = new HttpClient(replicas[0].url, { authorization: `Bearer ${operatorKey}` });
    const tenantId = (await operator.post('/v1/tenants', { name: `streams-${randomBytes(4).toString('hex')}` })).json.id as string;
    await grantTargets({ operator }, tenantId, { claude: emulator.demoTarget });
    const adminKey = (await operator.post(`/v1/tenants/${tenantId}/api-keys`, { role: 'admin', name: 'admin' })).json.key as string;
    const appKey = (await operator.post(`/v1/tenants/${tenantId}/api-keys`, { role: 'app', name: 'app' })).json.key as string;
    const admin = new HttpClient(replicas[1].url, { authorization: `Bearer ${adminKey}` });
    assert.equal((await admin.post('/v1/agents', { name: 'streams-agent', defaultProvider: 'claude', targets: { claude: emulator.demoTarget } })).status, 201);
    assert.equal((await admin.put('/v1/limits', { maxOpenStreamsPerTenant: 3 })).status, 200);
    const app = (index: number) => new HttpClient(replicas[index % 2].url, { authorization: `Bearer ${appKey}`, 'x-end-user': `user-${index}` });
    const sessions: string[] = [];
    for (let index = 0; index < 12; index++) {
      const created = await app(index).post('/v1/sessions', { agent: 'streams-agent' });
      assert.equal(created.status, 201, created.text);
      sessions.push(created.json.id as string);
    }
    // Long enough that every one of the 12 claims happens while the admitted turns still run.
    emulator.faults.add('turns.run', { kind: 'delay', ms: 8000, times: 12 });
    try {
      const results = await Promise.all(sessions.map((id, index) => app(index).post(`/v1/sessions/${id}/turns`, { input: 'together' })));
      const ran = results.filter((result) => result.status === 200).length;
      const refused = results.filter((result) => result.status === 429 && result.json.limit === 'maxOpenStreamsPerTenant').length;
      assert.equal(ran, 3, `statuses: ${results.map((result) => result.status).join(',')}`);
      assert.equal(refused, 9);
    } finally {
      emulator.faults.clear();
    }
  });
});
