import { processMemoryMiB } from './stats.js';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { spawnBroker, startScriptNodeFlags } from '../support/broker-process.js';

export interface CostExportFigures {
  database: 'postgres';
  format: string;
  /** The broker's Node flags: those of `npm start` (its heap budget). */
  nodeFlags: string;
  rows: number;
  seedMs: number;
  /** Request sent → first byte of the body (the CSV header). */
  timeToFirstByteMs: number;
  /** Request sent → first data row received: the first page's query included. */
  timeToFirstRowMs: number;
  totalMs: number;
  rowsPerSecond: number;
  bodyMiB: number;
  /** The broker process's resident memory just before the export, and its peak during it (sampled every 20 ms). */
  baselineRssMiB: number;
  peakRssMiB: number;
  peakOverBaselineMiB: number;
}

const mib = (kib: number) => Math.round((kib / 1024) * 10) / 10;

/**
 * Seeds `rows` charge lines for one tenant with SQL (generate_series: 1,000
 * sessions, rows/4 metered turns of four charge lines each), then streams
 * the FOCUS CSV export of all of them from a broker in its own process and
 * measures time to first byte and row, throughput, and the broker's
 * resident memory. PostgreSQL only (the embedded database lives inside the
 * broker process and cannot be seeded beside it); returns [] without one.
 * Figures are written by `npm run bench`, never asserted in tests.
 * The broker runs with `npm start`'s Node flags (its heap budget), as users
 * run it.
 */
export async function benchCostExport(databaseUrl: string | undefined, rows = 1_000_000): Promise<CostExportFigures[]> {
  if (!databaseUrl) return [];
  return [await exportOnce(databaseUrl, rows)];
}

async function exportOnce(databaseUrl: string, rows: number): Promise<CostExportFigures> {
  const operatorKey = `bench-operator-${randomBytes(12).toString('hex')}`;
  const broker = await spawnBroker({
    DATABASE_URL: databaseUrl,
    SWITCHBOARD_ADMIN_KEY: operatorKey,
    SWITCHBOARD_SEED_DEMO: 'off',
    // The export needs no runtime; without emulators the baseline is the broker alone.
    SWITCHBOARD_EMULATORS: 'off',
    LOG_LEVEL: 'info',
  });
  const client = new pg.Client({ connectionString: databaseUrl });
  try {
    const operator = { authorization: `Bearer ${operatorKey}`, 'content-type': 'application/json' };
    const tenant = (await (await fetch(`${broker.url}/v1/tenants`, { method: 'POST', headers: operator, body: JSON.stringify({ name: `bench-${randomBytes(5).toString('hex')}` }) })).json()) as { id: string };
    const key = (await (await fetch(`${broker.url}/v1/tenants/${tenant.id}/api-keys`, { method: 'POST', headers: operator, body: JSON.stringify({ role: 'finance', name: 'bench' }) })).json()) as { key: string };

    await client.connect();
    const seedStarted = performance.now();
    const tag = randomBytes(4).toString('hex');
    const agentId = `agt_bench_${tag}`;
    const base = '2026-01-01T00:00:00Z';
    await client.query(`INSERT INTO agents (id, tenant_id, name, default_provider, targets) VALUES ($1, $2, $3, 'claude', '{}')`, [agentId, tenant.id, `bench-${tag}`]);
    await client.query(
      `INSERT INTO sessions (id, tenant_id, user_id, agent_id, provider, status, idle_timeout_seconds, max_lifetime_seconds, created_at)
       SELECT 'ses_bench_' || $3 || '_' || s, $1, 'user-' || (s % 100), $2, (ARRAY['claude', 'agentcore', 'foundry', 'vertex'])[1 + s % 4],
         'terminated', 900, 28800, $4::timestamptz
       FROM generate_series(0, 999) s`,
      [tenant.id, agentId, tag, base],
    );
    await client.query(
      `INSERT INTO meter_records (tenant_id, session_id, turn_id, user_id, agent_id, provider, principal_id, turn_status, period_start, period_end,
         active_seconds, active_basis, broker_active_seconds, idle_seconds, input_tokens, output_tokens, vcpu_seconds, gib_seconds,
         compute_estimated, price_book_version, cost_usd)
       SELECT $1, 'ses_bench_' || $3 || '_' || (g % 1000), 'trn_bench_' || $3 || '_' || g, 'user-' || (g % 1000 % 100), $2,
         (ARRAY['claude', 'agentcore', 'foundry', 'vertex'])[1 + g % 1000 % 4], 'key_bench', 'completed',
         $4::timestamptz + g * interval '3 seconds', $4::timestamptz + g * interval '3 seconds' + interval '2.5 seconds',
         2.5, 'estimated', 2.5, 0.5, 1200, 300, 5, 10, true, 1, 0
       FROM generate_series(0, $5::integer - 1) g`,
      [tenant.id, agentId, tag, base, Math.ceil(rows / 4)],
    );
    // Four lines per turn; cost = pricing quantity × price exactly, as the table's CHECK requires.
    await client.query(
      `INSERT INTO meter_charges (tenant_id, meter_id, session_id, user_id, agent_id, provider, principal_id, charge_period_start, charge_period_end,
         unit, consumed_quantity, pricing_quantity, unit_price, cost, cost_basis, price_book_version)
       SELECT r.tenant_id, r.id, r.session_id, r.user_id, r.agent_id, r.provider, r.principal_id, r.period_start, r.period_end,
         u.unit, u.consumed, round(u.consumed / u.divisor, 12), u.price, round(u.consumed / u.divisor, 12) * u.price, u.basis, 1
       FROM meter_records r
       CROSS JOIN (VALUES ('session-hour', 2.5, 3600, 0.08, 'estimated'), ('vcpu-hour', 5, 3600, 0.0895, 'estimated'),
         ('input-mtok', 1200, 1000000, 3, 'provider-reported'), ('output-mtok', 300, 1000000, 15, 'provider-reported'))
         AS u(unit, consumed, divisor, price, basis)
       WHERE r.tenant_id = $1
       ORDER BY r.id
       LIMIT $2`,
      [tenant.id, rows],
    );
    await client.query('ANALYZE meter_charges');
    const seedMs = Math.round(performance.now() - seedStarted);

    const pid = broker.child.pid!;
    const baselineKiB = processMemoryMiB(pid) * 1024;
    let peakKiB = baselineKiB;
    const sampler = setInterval(() => (peakKiB = Math.max(peakKiB, processMemoryMiB(pid) * 1024)), 20);
    const started = performance.now();
    let firstByteMs = -1;
    let firstRowMs = -1;
    let lines = 0;
    let bytes = 0;
    try {
      const response = await fetch(`${broker.url}/v1/costs/export?format=focus-csv&from=2025-12-01T00:00:00Z&to=2027-01-01T00:00:00Z`, {
        headers: { authorization: `Bearer ${key.key}` },
      });
      if (response.status !== 200 || !response.body) throw new Error(`export answered ${response.status}: ${await response.text()}`);
      for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
        if (firstByteMs < 0) firstByteMs = performance.now() - started;
        bytes += chunk.byteLength;
        for (let index = 0; index < chunk.length; index++) if (chunk[index] === 10) lines++;
        if (firstRowMs < 0 && lines >= 2) firstRowMs = performance.now() - started;
      }
    } finally {
      clearInterval(sampler);
    }
    const totalMs = performance.now() - started;
    const exported = lines - 1;
    if (exported !== rows) throw new Error(`exported ${exported} rows, seeded ${rows}`);
    return {
      database: 'postgres',
      format: 'focus-csv 1.2',
      nodeFlags: startScriptNodeFlags().join(' '),
      rows: exported,
      seedMs,
      timeToFirstByteMs: Math.round(firstByteMs * 10) / 10,
      timeToFirstRowMs: Math.round(firstRowMs * 10) / 10,
      totalMs: Math.round(totalMs),
      rowsPerSecond: Math.round(exported / (totalMs / 1000)),
      bodyMiB: Math.round((bytes / 1024 / 1024) * 10) / 10,
      baselineRssMiB: mib(baselineKiB),
      peakRssMiB: mib(peakKiB),
      peakOverBaselineMiB: mib(peakKiB - baselineKiB),
    };
  } finally {
    await client.end().catch(() => undefined);
    broker.child.kill('SIGTERM');
    await broker.exited;
  }
}
