import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { openDatabase } from '../../apps/broker/src/database/open-database.js';
import { loadBrokerConfig } from '../../apps/broker/src/runtimes/broker-config.js';

const needsPostgres = process.env.DATABASE_URL ? false : 'needs PostgreSQL (DATABASE_URL): the embedded database starts in-process';

/** A port nothing listens on yet: the database "starts" there after `delayMs`, as a TCP relay to the real one. */
async function databaseStartingLater(target: URL, delayMs: number): Promise<{ url: string; close(): void }> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const port = (probe.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  const relay = net.createServer((client) => {
    const upstream = net.connect(Number(target.port || 5432), target.hostname);
    client.pipe(upstream).pipe(client);
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
  const timer = setTimeout(() => relay.listen(port, '127.0.0.1'), delayMs);
  const url = new URL(target);
  url.hostname = '127.0.0.1';
  url.port = String(port);
  return {
    url: url.toString(),
    close() {
      clearTimeout(timer);
      relay.close();
    },
  };
}

test('a start whose database comes up a moment later waits for it (connection refused, then answered)', { skip: needsPostgres }, async () => {
  const later = await databaseStartingLater(new URL(process.env.DATABASE_URL!), 1_500);
  try {
    const began = Date.now();
    const opened = await openDatabase(loadBrokerConfig({ LOG_LEVEL: 'silent', DATABASE_URL: later.url }));
    try {
      assert.ok(Date.now() - began >= 1_000, 'it did wait for the database');
      assert.deepEqual(await opened.database.query('SELECT 1 AS one'), [{ one: 1 }]);
    } finally {
      await opened.close();
    }
  } finally {
    later.close();
  }
});

test('a database that answers with an error is not retried: a missing database fails at once', { skip: needsPostgres }, async () => {
  const missing = new URL(process.env.DATABASE_URL!);
  missing.pathname = '/switchboard_no_such_database';
  const began = Date.now();
  await assert.rejects(openDatabase(loadBrokerConfig({ LOG_LEVEL: 'silent', DATABASE_URL: missing.toString() })), (error: { code?: string }) => error.code === '3D000');
  assert.ok(Date.now() - began < 5_000, 'no retries');
});
