import pg from 'pg';
import { spawnBroker } from '../support/broker-process.js';
import { percentile, processMemoryMiB } from './stats.js';

export interface AuditFigures {
  events: number;
  queryP50Ms: Record<string, number>;
  queryP99Ms: Record<string, number>;
  exportFormat: string;
  exportSeconds: number;
  exportBytes: number;
  exportTimeToFirstByteMs: number;
  brokerPeakRssMiB: number;
  brokerRssBeforeExportMiB: number;
}

const operatorKey = 'bench-operator-key-0123456789abcdefghij';

/**
 * Audit at scale, on PostgreSQL: one tenant with `count` events (seeded in
 * SQL), then audit queries over HTTP (p50/p99 by filter) and a full export
 * streamed from a separate broker process whose peak RSS is read from /proc.
 */
export async function benchAudit(databaseUrl: string, count = 1_000_000): Promise<AuditFigures> {
  // A production-like broker: no in-process emulators.
  const broker = await spawnBroker({ DATABASE_URL: databaseUrl, SWITCHBOARD_ADMIN_KEY: operatorKey, LOG_LEVEL: 'info', SWITCHBOARD_EMULATORS: 'off' });
  try {
    const call = (path: string, init: RequestInit = {}, key = operatorKey) =>
      fetch(`${broker.url}${path}`, { ...init, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...(init.headers ?? {}) } });
    const tenant = (await (await call('/v1/tenants', { method: 'POST', body: JSON.stringify({ name: `audit-bench-${Date.now()}` }) })).json()) as { id: string };
    const auditorKey = ((await (await call(`/v1/tenants/${tenant.id}/api-keys`, { method: 'POST', body: JSON.stringify({ role: 'auditor', name: 'bench' }) })).json()) as { key: string }).key;

    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    await client.query(`SET session_replication_role = replica`);
    await client.query(
      `INSERT INTO audit_events (tenant_id, seq, id, at, type, user_id, actor_kind, actor_id, session_id, provider, request_id, detail, prev_hash, hash, key_id)
       SELECT $1, n + 10, 'aud_bench' || lpad(n::text, 19, '0'), timestamptz '2026-01-01' + n * interval '1 second',
         (ARRAY['session.accessed','session.bound','session.terminated','access.denied'])[1 + n % 4], 'user-' || (n % 5000), 'api_key', 'key_bench',
         'ses_bench' || (n % 200000), 'claude', 'req-' || n, '{"action":"turn"}', md5(n::text), md5((n + 1)::text), 'bench'
       FROM generate_series(1, $2::int) AS n`,
      [tenant.id, count],
    );
    await client.query(`ANALYZE audit_events`);
    await client.end();

    const auditor = (path: string) => call(path, {}, auditorKey);
    // Cursors are signed by the broker: deep ones are collected from pages that start at random times.
    const deepCursors: string[] = [];
    for (let index = 0; index < 50; index++) {
      const from = new Date(Date.parse('2026-01-01T00:00:00Z') + Math.floor(Math.random() * count) * 1000).toISOString();
      const page = (await (await auditor(`/v1/audit/events?limit=100&from=${from}`)).json()) as { nextCursor: string | null };
      if (page.nextCursor) deepCursors.push(page.nextCursor);
    }
    if (deepCursors.length === 0) throw new Error('no deep cursor: the seeded events did not page');
    const queries: Record<string, () => string> = {
      'first page': () => '/v1/audit/events?limit=100',
      'by type': () => '/v1/audit/events?type=access.denied&limit=100',
      'by user': () => `/v1/audit/events?user=user-${Math.floor(Math.random() * 5000)}&limit=100`,
      'by session': () => `/v1/audit/events?session=ses_bench${Math.floor(Math.random() * 200000)}&limit=100`,
      'deep cursor': () => `/v1/audit/events?limit=100&cursor=${deepCursors[Math.floor(Math.random() * deepCursors.length)]}`,
      'time range': () => `/v1/audit/events?from=2026-01-05T00:00:00Z&to=2026-01-06T00:00:00Z&limit=100`,
    };
    const queryP50Ms: Record<string, number> = {};
    const queryP99Ms: Record<string, number> = {};
    for (const [name, path] of Object.entries(queries)) {
      const timings: number[] = [];
      for (let index = 0; index < 200; index++) {
        const started = performance.now();
        const response = await auditor(path());
        await response.arrayBuffer();
        if (response.status !== 200) throw new Error(`${name}: ${response.status}`);
        timings.push(performance.now() - started);
      }
      queryP50Ms[name] = percentile(timings.slice(20), 50);
      queryP99Ms[name] = percentile(timings.slice(20), 99);
    }

    const idleRssMiB = processMemoryMiB(broker.child.pid!);
    const started = performance.now();
    const response = await auditor('/v1/audit/export?format=ocsf');
    let firstByteMs = -1;
    let bytes = 0;
    for await (const chunk of response.body!) {
      if (firstByteMs < 0) firstByteMs = performance.now() - started;
      bytes += (chunk as Uint8Array).byteLength;
    }
    return {
      events: count,
      queryP50Ms,
      queryP99Ms,
      exportFormat: 'ocsf',
      exportSeconds: Math.round((performance.now() - started) / 100) / 10,
      exportBytes: bytes,
      exportTimeToFirstByteMs: Math.round(firstByteMs),
      brokerPeakRssMiB: processMemoryMiB(broker.child.pid!, 'VmHWM'),
      brokerRssBeforeExportMiB: idleRssMiB,
    };
  } finally {
    broker.child.kill('SIGTERM');
    await broker.exited;
  }
}
