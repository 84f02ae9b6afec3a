import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { spawnBroker, type BrokerProcess } from '../support/broker-process.js';

/** A free loopback port, for the embedded database to listen on where this test can reach it. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * A database of this test's own, with a connection URL that may alter its
 * schema: a fresh PostgreSQL database next to the suite's, or an embedded one
 * on a fixed port.
 */
async function ownDatabase(): Promise<{ env: Record<string, string>; adminUrl: string; drop(): Promise<void> }> {
  const suiteUrl = process.env.DATABASE_URL;
  if (!suiteUrl) {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'switchboard-error-log-'));
    const port = await freePort();
    return {
      env: { SWITCHBOARD_DATA_DIR: dataDir, SWITCHBOARD_EMBEDDED_DB_PORT: String(port) },
      adminUrl: `postgres://postgres@127.0.0.1:${port}/postgres?sslmode=disable`,
      drop: async () => rmSync(dataDir, { recursive: true, force: true }),
    };
  }
  const name = `sb_error_log_${randomBytes(6).toString('hex')}`;
  await run(suiteUrl, `CREATE DATABASE ${name}`);
  const url = new URL(suiteUrl);
  url.pathname = `/${name}`;
  return { env: { DATABASE_URL: url.toString() }, adminUrl: url.toString(), drop: () => run(suiteUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}

async function run(url: string, statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

/**
 * The broker's log (its real stdout) must never hold what a request carried:
 * not the SQL parameters or PostgreSQL's quoting of them when a statement
 * fails, not query strings.
 */
describe('logs hold no request content', () => {
  const operatorKey = `sbk_error_log_operator_${randomBytes(12).toString('hex')}`;
  let database: Awaited<ReturnType<typeof ownDatabase>>;
  let broker: BrokerProcess;
  const auth = { authorization: `Bearer ${operatorKey}`, 'content-type': 'application/json' };

  before(async () => {
    database = await ownDatabase();
    broker = await spawnBroker({ ...database.env, SWITCHBOARD_ADMIN_KEY: operatorKey, SWITCHBOARD_SEED_DEMO: 'off', SWITCHBOARD_EMULATORS: 'off' });
  });
  after(async () => {
    broker?.child.kill('SIGTERM');
    await broker?.exited;
    await database?.drop();
  });

  test('a forced database error is logged by SQLSTATE and constraint, without parameters, detail or query string', async () => {
    const inBody = `body-secret-${randomBytes(6).toString('hex')}`;
    const inQuery = `query-secret-${randomBytes(6).toString('hex')}`;
    const constraint = `edge_log_probe_${randomBytes(4).toString('hex')}`;
    // A constraint that refuses exactly this name: the INSERT fails in PostgreSQL with the name as a parameter,
    // and PostgreSQL's detail quotes the failing row.
    await run(database.adminUrl, `ALTER TABLE tenants ADD CONSTRAINT ${constraint} CHECK (name IS DISTINCT FROM '${inBody}')`);

    const failed = await fetch(`${broker.url}/v1/tenants?note=${inQuery}`, { method: 'POST', headers: auth, body: JSON.stringify({ name: inBody }) });
    const problem = (await failed.json()) as { status: number; code: string; requestId: string };
    assert.equal(failed.status, 500);
    assert.equal(problem.code, 'internal');
    const listed = await fetch(`${broker.url}/v1/tenants?limit=${inQuery}`, { headers: auth });
    assert.equal(listed.status, 400);
    await listed.arrayBuffer();

    const lines = await logLinesUntil(broker, (line) => line.msg === 'request' && line.status === 400);
    const logged = lines.find((line) => line.msg === 'unhandled error' && line.requestId === problem.requestId);
    assert.ok(logged, 'the unexpected error is logged with the request id the body carries');
    const output = broker.output();
    assert.ok(!output.includes(inBody), 'no parameter, detail or message quotes the body');
    assert.ok(!output.includes(inQuery), 'no log line holds the query string');
    const err = logged.err as Record<string, unknown>;
    assert.equal(err.code, '23514', 'the SQLSTATE stays');
    assert.equal(err.constraint, constraint, 'so does the constraint');
    assert.equal(err.table, 'tenants');
    assert.equal(logged.route, '/v1/tenants');
  });
});

/** The JSON lines the broker has written, once one satisfies `until` (log writes trail the responses). */
async function logLinesUntil(broker: BrokerProcess, until: (line: Record<string, unknown>) => boolean): Promise<Array<Record<string, unknown>>> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const lines = broker
      .output()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    if (lines.some(until)) return lines;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`the awaited log line never came:\n${broker.output()}`);
}
