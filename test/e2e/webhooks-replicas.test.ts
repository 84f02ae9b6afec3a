import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { spawnBroker, type BrokerProcess } from '../support/broker-process.js';
import { dedicatedDatabase } from '../support/dedicated-database.js';
import { HttpClient } from '../support/http-client.js';
import { WebhookReceiver } from '../support/webhook-receiver.js';

/**
 * The outbox survives a crash (issue 21 item 3): a replica is SIGKILLed with
 * deliveries in flight and queued; after a restart every event arrives, in
 * order per webhook, and an event that arrives twice carries the same
 * webhook-id both times. On PostgreSQL two replicas deliver together (the
 * survivor keeps going, the killed one's leases expire to it); on the
 * embedded database one broker is killed and started again on its folder.
 */
const postgres = process.env.DATABASE_URL;
const operatorKey = `sbk_test_operator_${randomBytes(16).toString('hex')}`;
// Both replicas (and the restart) must open the secrets they sealed: one configured audit key.
const auditKeys = `replica-test:${randomBytes(32).toString('base64')}`;
const settings = {
  SWITCHBOARD_ADMIN_KEY: operatorKey,
  SWITCHBOARD_SEED_DEMO: 'off',
  SWITCHBOARD_AUDIT_KEYS: auditKeys,
  SWITCHBOARD_WEBHOOKS_ALLOW_PRIVATE_TARGETS: 'true',
  SWITCHBOARD_WEBHOOKS_TIMEOUT_MS: '1000',
  SWITCHBOARD_WEBHOOKS_POLL_MS: '50',
  SWITCHBOARD_WEBHOOKS_RETRY_BASE_MS: '50',
};
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('webhooks across a crash', () => {
  let receiver: WebhookReceiver;
  const cleanups: Array<() => Promise<void>> = [];
  before(async () => {
    receiver = await new WebhookReceiver().start();
  });
  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
    await receiver.stop();
  });

  const start = async (database: Record<string, string>): Promise<BrokerProcess> => {
    // A generous start timeout: the shared test machine can be slow to start a broker.
    const broker = await spawnBroker({ ...database, ...settings }, 150_000);
    cleanups.push(async () => {
      if (broker.child.exitCode === null && broker.child.signalCode === null) broker.child.kill('SIGKILL');
      await broker.exited;
    });
    return broker;
  };

  test('SIGKILL with deliveries in flight and queued: after restart nothing is lost, order holds per webhook, duplicates share their webhook-id', async () => {
    let database: Record<string, string>;
    if (postgres) {
      const dedicated = await dedicatedDatabase(postgres);
      cleanups.push(dedicated.drop);
      database = { DATABASE_URL: dedicated.url };
    } else {
      const dataDir = mkdtempSync(path.join(tmpdir(), 'switchboard-webhooks-'));
      cleanups.push(async () => rmSync(dataDir, { recursive: true, force: true }));
      database = { SWITCHBOARD_DATA_DIR: dataDir };
    }
    let victim = await start(database);
    const survivor = postgres ? await start(database) : undefined;

    const operator = new HttpClient(victim.url, { authorization: `Bearer ${operatorKey}` });
    const tenant = await operator.post('/v1/tenants', { name: `webhooks-${randomBytes(4).toString('hex')}` });
    const key = await operator.post(`/v1/tenants/${tenant.json.id}/api-keys`, { role: 'admin', name: 'admin' });
    const admin = (broker: BrokerProcess) => new HttpClient(broker.url, { authorization: `Bearer ${key.json.key}` });
    const hooks = ['first', 'second'].map((name) => `${name}-${randomBytes(3).toString('hex')}`);
    for (const name of hooks) {
      const created = await admin(victim).post('/v1/webhooks', { url: receiver.hookUrl(name), events: ['audit.limits.changed'] });
      assert.equal(created.status, 201, created.text);
      receiver.setSecret(name, created.json.secret);
    }
    // A slow receiver: deliveries are in flight when the replica dies.
    receiver.answer = async () => {
      await pause(150);
      return 200;
    };

    const events = 30;
    let sent = 0;
    const send = async (broker: BrokerProcess) => {
      sent++;
      const changed = await admin(broker).put('/v1/limits', { maxActiveSessionsPerUser: sent });
      assert.equal(changed.status, 200, changed.text);
    };
    const replicas = () => (survivor ? [victim, survivor] : [victim]);
    for (let index = 0; index < events / 2; index++) await send(replicas()[index % replicas().length]);
    await receiver.until(() => receiver.received.length >= 4, 20_000, 'the first deliveries');
    victim.child.kill('SIGKILL');
    assert.equal(await victim.exited, null, 'killed by the signal');
    // Events keep coming: through the survivor, or (embedded) once the broker is back.
    if (survivor) {
      while (sent < events) await send(survivor);
      victim = await start(database);
    } else {
      victim = await start(database);
      while (sent < events) await send(victim);
    }

    for (const name of hooks) await receiver.until(() => new Set(receiver.at(name).map((entry) => entry.id)).size >= events, 60_000, `${name}: every event`);
    let received = 0;
    let duplicates = 0;
    for (const name of hooks) {
      const arrivals = receiver.at(name);
      assert.ok(arrivals.every((entry) => entry.signatureValid), 'every signature verifies');
      const firstById = new Map<string, (typeof arrivals)[number]>();
      for (const arrival of arrivals) {
        const earlier = firstById.get(arrival.id);
        if (earlier) assert.equal(arrival.raw, earlier.raw, 'a duplicate is the same event');
        else firstById.set(arrival.id, arrival);
      }
      const markers = [...firstById.values()].map((entry) => entry.body.data.detail.changes.maxActiveSessionsPerUser as number);
      assert.deepEqual(markers, Array.from({ length: events }, (_, index) => index + 1), `${name}: every event once, in order`);
      // A duplicate only repeats the event just before or at the crash: never a later one arriving before an earlier.
      const distinctByMarker = new Map<number, Set<string>>();
      for (const arrival of arrivals) {
        const marker = arrival.body.data.detail.changes.maxActiveSessionsPerUser as number;
        distinctByMarker.set(marker, (distinctByMarker.get(marker) ?? new Set()).add(arrival.id));
      }
      assert.ok([...distinctByMarker.values()].every((ids) => ids.size === 1), 'one webhook-id per event, duplicates included');
      received += arrivals.length;
      duplicates += arrivals.length - firstById.size;
    }
    const lost = events * hooks.length - (received - duplicates);
    console.log(`webhooks across SIGKILL (${postgres ? 'PostgreSQL, two replicas' : 'embedded, restart'}): sent ${events * hooks.length}, received ${received}, duplicates by webhook-id ${duplicates}, lost ${lost}`);
    assert.equal(lost, 0);
  });
});
