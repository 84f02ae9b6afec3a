import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runBrokerToExit, spawnBroker } from '../support/broker-process.js';

/**
 * `npm start` on the embedded database, as a separate process, whatever
 * database the rest of the suite uses: no database server is involved.
 */
describe('the embedded database across process restarts', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'switchboard-process-'));
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  const json = async (url: string, init: RequestInit = {}) => {
    const response = await fetch(url, init);
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  test('fresh start prints an operator key once; a restart keeps tenants and keys', async () => {
    const first = await spawnBroker({ SWITCHBOARD_DATA_DIR: dataDir });
    assert.equal((await json(`${first.url}/readyz`)).status, 200);
    const operatorKey = /SWITCHBOARD_ADMIN_KEY=(sbk_\S+)/.exec(first.output())?.[1];
    assert.ok(operatorKey, 'the generated operator key is printed');
    const demoAppKey = /APP_KEY=(sbk_\S+)/.exec(first.output())?.[1];
    assert.ok(demoAppKey, 'the demo tenant keys are printed');
    const auth = { authorization: `Bearer ${operatorKey}`, 'content-type': 'application/json' };
    const tenant = await json(`${first.url}/v1/tenants`, { method: 'POST', headers: auth, body: JSON.stringify({ name: 'persisted' }) });
    assert.equal(tenant.status, 201);
    const key = await json(`${first.url}/v1/tenants/${String(tenant.body.id)}/api-keys`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ role: 'admin', name: 'ops' }),
    });
    first.child.kill('SIGTERM');
    assert.equal(await first.exited, 0);

    const second = await spawnBroker({ SWITCHBOARD_DATA_DIR: dataDir });
    try {
      assert.doesNotMatch(second.output(), /SWITCHBOARD_ADMIN_KEY=|APP_KEY=/, 'keys are shown only once');
      const tenants = await json(`${second.url}/v1/tenants`, { headers: auth });
      assert.deepEqual((tenants.body.data as { name: string }[]).map((t) => t.name).sort(), ['demo', 'persisted']);
      const demo = await json(`${second.url}/v1/me`, { headers: { authorization: `Bearer ${demoAppKey}`, 'x-end-user': 'u-1' } });
      assert.equal(demo.status, 200);
      const me = await json(`${second.url}/v1/me`, { headers: { authorization: `Bearer ${String(key.body.key)}` } });
      assert.equal(me.status, 200);
      assert.equal(me.body.role, 'admin');

      const refused = await runBrokerToExit({ SWITCHBOARD_DATA_DIR: dataDir });
      assert.equal(refused.code, 1);
      assert.match(refused.output, /is in use by process \d+/);
    } finally {
      second.child.kill('SIGTERM');
      assert.equal(await second.exited, 0);
    }
  });

  test('Ctrl-C during writes loses no acknowledged write and corrupts nothing', async () => {
    const operatorKey = 'sbk_ctrl_c_test_operator_key_0123456789';
    const env = { SWITCHBOARD_DATA_DIR: path.join(dataDir, 'ctrl-c'), SWITCHBOARD_ADMIN_KEY: operatorKey, SWITCHBOARD_SEED_DEMO: 'off' };
    const auth = { authorization: `Bearer ${operatorKey}`, 'content-type': 'application/json' };
    const broker = await spawnBroker(env);
    const acknowledged: string[] = [];
    let stop = false;
    const writers = Array.from({ length: 4 }, async (_, writer) => {
      for (let index = 0; !stop && index < 10_000; index++) {
        try {
          const name = `w${writer}-${index}`;
          const response = await fetch(`${broker.url}/v1/tenants`, { method: 'POST', headers: auth, body: JSON.stringify({ name }) });
          if (response.status === 201) acknowledged.push(name);
          await response.arrayBuffer();
        } catch {
          return; // the server went away
        }
      }
    });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    broker.child.kill('SIGINT');
    const code = await broker.exited;
    stop = true;
    await Promise.all(writers);
    assert.equal(code, 0, broker.output());
    assert.ok(acknowledged.length > 10, `only ${acknowledged.length} writes before Ctrl-C`);

    const again = await spawnBroker(env);
    try {
      assert.equal((await json(`${again.url}/readyz`)).status, 200);
      const names = new Set<string>();
      let cursor: string | null = null;
      do {
        const page = await json(`${again.url}/v1/tenants?limit=200${cursor ? `&cursor=${cursor}` : ''}`, { headers: auth });
        for (const tenant of page.body.data as { name: string }[]) names.add(tenant.name);
        cursor = page.body.nextCursor as string | null;
      } while (cursor);
      const lost = acknowledged.filter((name) => !names.has(name));
      assert.deepEqual(lost, [], 'every acknowledged tenant survived');
    } finally {
      again.child.kill('SIGTERM');
      await again.exited;
    }
  });
});
