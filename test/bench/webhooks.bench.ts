import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { spawnBroker, type BrokerProcess } from '../support/broker-process.js';
import { dedicatedDatabase } from '../support/dedicated-database.js';
import { runConcurrently } from './stats.js';

export interface WebhookFigures {
  replicas: number;
  webhooks: number;
  events: number;
  deliveries: number;
  /** Deliveries received per second, from the first event recorded to the last delivery received. */
  deliveriesPerSecond: number;
  /** From the last event recorded to the last delivery received. */
  drainMs: number;
  duplicates: number;
}

/**
 * Webhook deliveries per second on PostgreSQL: `replicas` brokers deliver to
 * a fast local receiver (answers 204 at once, counts by webhook-id);
 * `webhooks` subscriptions of one tenant each get every one of `events`
 * audit records (limits changes made through both replicas). Deliveries of
 * one webhook go one at a time, in order, so throughput comes from many
 * webhooks in parallel.
 */
export async function benchWebhooks(databaseUrl: string | undefined, replicas = 2, webhooks = 16, events = 150): Promise<WebhookFigures | undefined> {
  if (!databaseUrl) return undefined;
  const database = await dedicatedDatabase(databaseUrl);
  const operatorKey = `bench-operator-${randomBytes(12).toString('hex')}`;
  const seen = new Set<string>();
  let received = 0;
  let lastReceivedAt = 0;
  const receiver = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      received++;
      seen.add(String(request.headers['webhook-id']));
      lastReceivedAt = performance.now();
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  const brokers: BrokerProcess[] = [];
  try {
    const settings = {
      DATABASE_URL: database.url,
      SWITCHBOARD_ADMIN_KEY: operatorKey,
      SWITCHBOARD_AUDIT_KEYS: `bench:${randomBytes(32).toString('base64')}`,
      SWITCHBOARD_WEBHOOKS_ALLOW_PRIVATE_TARGETS: 'true',
      LOG_LEVEL: 'info',
      DATABASE_POOL_SIZE: '20',
    };
    for (let index = 0; index < replicas; index++) brokers.push(await spawnBroker(settings, 150_000));
    const call = async (broker: BrokerProcess, method: string, path: string, key: string, body?: unknown) => {
      const response = await fetch(`${broker.url}${path}`, { method, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
      if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
      return (await response.json()) as Record<string, string>;
    };
    const tenant = (await call(brokers[0], 'POST', '/v1/tenants', operatorKey, { name: `webhooks-${randomBytes(4).toString('hex')}` })).id;
    const admin = (await call(brokers[0], 'POST', `/v1/tenants/${tenant}/api-keys`, operatorKey, { role: 'admin', name: 'a' })).key;
    for (let index = 0; index < webhooks; index++) {
      await call(brokers[0], 'POST', '/v1/webhooks', admin, { url: `${receiverUrl}/hook/${index}`, events: ['audit.limits.changed'] });
    }
    const writers = 8;
    const perWriter = Math.ceil(events / writers);
    const expected = webhooks * writers * perWriter;
    const started = performance.now();
    await runConcurrently(writers, perWriter, (worker, index) => call(brokers[(worker + index) % replicas], 'PUT', '/v1/limits', admin, { maxActiveSessionsPerUser: worker * 1000 + index + 1 }));
    const recordedAt = performance.now();
    for (const deadline = Date.now() + 600_000; seen.size < expected && Date.now() < deadline; ) await new Promise((resolve) => setTimeout(resolve, 50));
    const deliveries = seen.size;
    return {
      replicas,
      webhooks,
      events: writers * perWriter,
      deliveries,
      deliveriesPerSecond: Math.round(deliveries / ((lastReceivedAt - started) / 1000)),
      drainMs: Math.round(lastReceivedAt - recordedAt),
      duplicates: received - deliveries,
    };
  } finally {
    for (const broker of brokers) broker.child.kill('SIGTERM');
    await Promise.all(brokers.map((broker) => broker.exited));
    receiver.closeAllConnections();
    await new Promise<void>((resolve) => receiver.close(() => resolve()));
    await database.drop();
  }
}
