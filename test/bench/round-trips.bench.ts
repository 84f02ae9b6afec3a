import type { ConformanceFixture } from '#libs/provider-kit';
import { randomBytes } from 'node:crypto';
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { spawnBroker } from '../support/broker-process.js';
import { HttpClient } from '../support/http-client.js';
import { uniqueName } from '../support/test-broker.js';

/** PostgreSQL's server log (Debian's cluster 15/main), where `log_statement = 'all'` writes each statement. */
const serverLog = process.env.BENCH_POSTGRES_LOG ?? '/var/log/postgresql/postgresql-15-main.log';

export interface RoundTripFigures {
  provider: string;
  turns: number;
  /** Statements the broker sent per streamed turn (request to end of response), all connections. */
  statementsPerTurn: number;
  /** Of them, on the live-turn bus's connection (pg_notify/LISTEN). */
  busStatementsPerTurn: number;
  /**
   * PREPAREs seen meanwhile: a connection prepares each per-turn statement
   * the first time it runs it (once per connection, not per turn), so they
   * are counted apart.
   */
  oneTimePrepares?: number;
  /** The statements of one turn, in order, abbreviated (what to look at when the figure moves). */
  sample: string[];
}

/**
 * Database round trips per streamed turn, counted from PostgreSQL's own
 * statement log: the database is set to `log_statement = 'all'`, the broker
 * (one replica, its background jobs idle) runs warm turns one after another,
 * and the log lines of that database written meanwhile (`statement:`, or
 * `execute` for a prepared one) are counted. A multi-statement simple query
 * (BEGIN; …; COMMIT sent at once) is one line: one round trip. The
 * broker's background jobs (lifecycle sweeps every 3 s, the reaper's
 * leadership check) are left out: they run in platform scope or on the
 * leadership connection, never on a turn's path.
 *
 * Needs a PostgreSQL on this machine whose log this process can read, and a
 * database of its own (`BENCH_STATEMENT_DATABASE_URL`), since every
 * statement on it is counted.
 */
export async function benchRoundTrips(fixture: ConformanceFixture, databaseUrl: string, turns = 3): Promise<RoundTripFigures> {
  const database = new URL(databaseUrl).pathname.slice(1);
  const admin = new URL(databaseUrl);
  const operatorKey = `bench-operator-${randomBytes(12).toString('hex')}`;
  await setLogStatement(admin, database);
  const broker = await spawnBroker({
    SWITCHBOARD_ADMIN_KEY: operatorKey,
    SWITCHBOARD_SEED_DEMO: 'off',
    SWITCHBOARD_EMULATOR_PLACEMENT: 'thread',
    DATABASE_URL: databaseUrl,
    ...fixture.env,
    // (A shared machine may take a while to boot it.)
  }, 180_000);
  try {
    const operator = new HttpClient(broker.url, { authorization: `Bearer ${operatorKey}` });
    const tenantId = (await operator.post('/v1/tenants', { name: uniqueName('rtt') })).json.id as string;
    const [appKey, adminKey] = await Promise.all(['app', 'admin'].map(async (role) => (await operator.post(`/v1/tenants/${tenantId}/api-keys`, { role, name: role })).json.key as string));
    const agentName = uniqueName('rtt');
    await new HttpClient(broker.url, { authorization: `Bearer ${adminKey}` }).post('/v1/agents', { name: agentName, defaultProvider: fixture.provider, targets: { [fixture.provider]: fixture.benchTarget } });
    const headers = { authorization: `Bearer ${appKey}`, 'x-end-user': 'rtt-user' };
    const created = await new HttpClient(broker.url, headers).post('/v1/sessions', { agent: agentName });
    if (created.status !== 201) throw new Error(`create answered ${created.status}: ${created.text}`);
    const sessionId = created.json.id as string;
    // Warm: the key cache, prepared plans, the pool's connections.
    for (let index = 0; index < 10; index++) await streamedTurn(broker.url, headers, sessionId, `warm ${index}`);
    await settle();
    const before = statSync(serverLog).size;
    for (let index = 0; index < turns; index++) await streamedTurn(broker.url, headers, sessionId, `question ${index}`);
    await settle();
    const logged = turnPath(statementLines(readFrom(serverLog, before), database));
    const isPrepare = (line: { text: string }) => /^PREPARE switchboard_/.test(line.text.trim());
    const lines = logged.filter((line) => !isPrepare(line));
    const busPids = new Set(lines.filter((line) => /pg_notify|LISTEN/.test(line.text)).map((line) => line.pid));
    return {
      provider: fixture.provider,
      turns,
      statementsPerTurn: Math.round((lines.length / turns) * 100) / 100,
      busStatementsPerTurn: Math.round((lines.filter((line) => busPids.has(line.pid) && /pg_notify|LISTEN/.test(line.text)).length / turns) * 100) / 100,
      oneTimePrepares: logged.filter(isPrepare).length,
      sample: lines.slice(0, Math.ceil(lines.length / turns)).map((line) => line.text.slice(0, 160)),
    };
  } finally {
    broker.child.kill('SIGTERM');
    await broker.exited;
  }
}

/** The log is written asynchronously by the server: give the last lines a moment. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 300));

async function setLogStatement(url: URL, database: string): Promise<void> {
  const pg = (await import('pg')).default;
  // The bench's own database is created on a first run (a new machine has only `test`, `root` and `postgres`).
  const server = new URL(url);
  server.pathname = '/postgres';
  const admin = new pg.Client({ connectionString: server.toString() });
  await admin.connect();
  try {
    const exists = await admin.query(`SELECT 1 FROM pg_database WHERE datname = $1`, [database]);
    if (exists.rowCount === 0) await admin.query(`CREATE DATABASE ${pg.escapeIdentifier(database)}`);
  } finally {
    await admin.end();
  }
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  try {
    await client.query(`ALTER DATABASE ${pg.escapeIdentifier(database)} SET log_statement = 'all'`);
  } finally {
    await client.end();
  }
}

/** One streamed turn, read to its end. */
async function streamedTurn(url: string, headers: Record<string, string>, sessionId: string, input: string): Promise<void> {
  const response = await fetch(`${url}/v1/sessions/${sessionId}/turns`, {
    method: 'POST',
    headers: { ...headers, accept: 'text/event-stream', 'content-type': 'application/json' },
    body: JSON.stringify({ input }),
  });
  const text = await response.text();
  if (response.status !== 200 || !text.includes('event: turn.completed')) throw new Error(`turn answered ${response.status}: ${text.slice(-400)}`);
}

function readFrom(file: string, offset: number): string {
  const size = statSync(file).size;
  const buffer = Buffer.alloc(Math.max(0, size - offset));
  const fd = openSync(file, 'r');
  try {
    readSync(fd, buffer, 0, buffer.length, offset);
  } finally {
    closeSync(fd);
  }
  return buffer.toString('utf8');
}

/** Without the background jobs' statements: platform-scope transactions (to their COMMIT or ROLLBACK) and the leadership connection's checks. */
function turnPath(lines: Array<{ pid: string; text: string }>): Array<{ pid: string; text: string }> {
  const inBackground = new Set<string>();
  return lines.filter((line) => {
    if (line.text.includes("set_config('app.scope', 'platform', true)")) inBackground.add(line.pid);
    const background = inBackground.has(line.pid) || /pg_locks|pg_try_advisory_lock|idle_session_timeout/.test(line.text);
    if (/^(COMMIT|ROLLBACK)\b/.test(line.text.trim())) inBackground.delete(line.pid);
    return !background;
  });
}

/** Log lines (`%m [%p] %q%u@%d `) of statements run on `database`; continuation lines of a statement are joined to it. */
function statementLines(log: string, database: string): Array<{ pid: string; text: string }> {
  const lines: Array<{ pid: string; text: string }> = [];
  const header = new RegExp(`^\\S+ \\S+ \\S+ \\[(\\d+)\\] \\S*@${database.replace(/[^\w]/g, '\\$&')} LOG:  (?:statement|execute [^:]*): (.*)$`);
  let current: { pid: string; text: string } | undefined;
  for (const line of log.split('\n')) {
    const match = header.exec(line);
    if (match) {
      current = { pid: match[1], text: match[2] };
      lines.push(current);
    } else if (current && line.startsWith('\t')) {
      current.text += ` ${line.trim()}`;
    } else {
      current = undefined;
    }
  }
  for (const line of lines) line.text = line.text.replace(/\s+/g, ' ');
  return lines;
}
