import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { benchAudit } from './audit.bench.js';
import { benchCostExport } from './cost-export.bench.js';
import { benchCreates } from './creates.bench.js';
import { benchRoundTrips, type RoundTripFigures } from './round-trips.bench.js';
import { benchStartup } from './startup.bench.js';
import { benchStalledStreams, benchTranscriptGet, type StalledStreamFigures, type TranscriptGetFigures } from './streams.bench.js';
import { benchTurnOverhead } from './turn-overhead.bench.js';
import { benchWebhooks } from './webhooks.bench.js';
import { startScriptNodeFlags } from '../support/broker-process.js';
import { runtimeModules } from '../../apps/broker/src/runtimes/runtime-modules.js';

/**
 * `npm run bench`: measures, then writes bench-results/latest.json and a
 * Markdown summary. Figures are only ever checked here, never by timed
 * assertions in tests. Set DATABASE_URL (or BENCH_DATABASE_URL) to run on
 * PostgreSQL; `npm run bench -- startup` or `-- turns` runs one part.
 * BENCH_RUNTIMES=claude,vertex limits the turn bench to those runtimes;
 * BENCH_BROKER_NODE_FLAGS adds Node flags to its broker (`--cpu-prof`).
 * `-- streams`: stalled event streams (BENCH_STALLED_STREAMS, default 150) and
 * one large transcript read (BENCH_TRANSCRIPT_TURNS, default 90), each with
 * the default bounds and with the bounds lifted (the broker before issue 23);
 * BENCH_STREAMS=stalled|transcript runs one of the two. `-- webhooks`: webhook deliveries/s
 * with two replicas on PostgreSQL.
 * `-- roundtrips`: database statements per streamed turn, from PostgreSQL's
 * statement log, on a database of its own (BENCH_STATEMENT_DATABASE_URL,
 * default sb_stmt on the local server; BENCH_RUNTIMES as for turns, default agentcore).
 */
const parts = new Set(process.argv.slice(2));
const wants = (part: string) => parts.size === 0 || parts.has(part);
const databaseUrl = process.env.BENCH_DATABASE_URL ?? process.env.DATABASE_URL;
if (databaseUrl) process.env.DATABASE_URL = databaseUrl;

// One session, back to back; 64 back to back (saturating: latency is queueing on two cores); 64 live sessions pausing ~1 s between turns.
/** BENCH_TURN_LOADS=concurrency:pauseMs:turns,... replaces them (a quick look while working; the report is made with these). */
const turnLoads = process.env.BENCH_TURN_LOADS
  ? process.env.BENCH_TURN_LOADS.split(',').map((load) => {
      const [concurrency, pauseMs, turns] = load.split(':').map(Number);
      return { concurrency, pauseMs, turns };
    })
  : [
      { concurrency: 1, pauseMs: 0, turns: 200 },
      { concurrency: 64, pauseMs: 0, turns: 640 },
      { concurrency: 64, pauseMs: 1000, turns: 640 },
    ];
const startup = wants('startup') ? await benchStartup(databaseUrl) : [];
const turnOverhead = wants('turns') ? await benchTurnOverhead(await Promise.all(runtimeModules.filter((module) => !process.env.BENCH_RUNTIMES || process.env.BENCH_RUNTIMES.split(',').includes(module.id)).map((module) => module.conformance())), turnLoads, databaseUrl) : [];
// Audit at a million events needs PostgreSQL (seeding and the broker run as separate processes).
const audit = wants('audit') && databaseUrl ? await benchAudit(databaseUrl, Number(process.env.BENCH_AUDIT_EVENTS ?? 1_000_000)) : undefined;
const costExport = wants('costs') ? await benchCostExport(databaseUrl) : [];
const creates = wants('creates') ? await benchCreates(databaseUrl) : undefined;
// Webhook deliveries/s need PostgreSQL (two replicas).
const webhooks = wants('webhooks') ? await benchWebhooks(databaseUrl) : undefined;
const statementDatabaseUrl = process.env.BENCH_STATEMENT_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/sb_stmt';
const roundTrips: RoundTripFigures[] = [];
if (wants('roundtrips')) {
  const providers = (process.env.BENCH_RUNTIMES ?? 'agentcore').split(',');
  for (const module of runtimeModules.filter((candidate) => providers.includes(candidate.id))) {
    const figures = await benchRoundTrips(await module.conformance(), statementDatabaseUrl);
    // The statements themselves, for whoever wants to see what a turn costs.
    console.log(`${figures.provider}: one turn's statements\n  ${figures.sample.join('\n  ')}`);
    roundTrips.push(figures);
  }
}
const unbounded = { SSE_MAX_BUFFERED_BYTES: '4gb', EVENTS_PAGE_MAX_BYTES: '4gb' };
const stalledStreamCount = Number(process.env.BENCH_STALLED_STREAMS ?? 150);
const transcriptTurns = Number(process.env.BENCH_TRANSCRIPT_TURNS ?? 90);
// BENCH_STREAMS=stalled or =transcript runs one half; the other keeps its last figures.
const streamsHalf = (half: string) => wants('streams') && (process.env.BENCH_STREAMS ?? half) === half;
const streams = wants('streams')
  ? {
      stalled: streamsHalf('stalled') ? [await benchStalledStreams(databaseUrl, stalledStreamCount), await benchStalledStreams(databaseUrl, stalledStreamCount, unbounded)] : undefined,
      transcript: streamsHalf('transcript') ? [await benchTranscriptGet(databaseUrl, transcriptTurns), await benchTranscriptGet(databaseUrl, transcriptTurns, unbounded)] : undefined,
    }
  : undefined;

// Parts not run this time keep their last figures (and say when those were measured).
const previous = (existsSync('bench-results/latest.json') ? JSON.parse(readFileSync('bench-results/latest.json', 'utf8')) : {}) as {
  partsMeasuredAt?: Record<string, string>;
  startup?: typeof startup;
  turnOverhead?: typeof turnOverhead;
  audit?: typeof audit;
  costExport?: typeof costExport;
  creates?: typeof creates;
  webhooks?: typeof webhooks;
  roundTrips?: typeof roundTrips;
  streams?: { stalled: StalledStreamFigures[]; transcript: TranscriptGetFigures[] };
};
const measuredAt = new Date().toISOString();
const partsMeasuredAt: Record<string, string> = { ...previous.partsMeasuredAt };
for (const part of ['startup', 'turns', 'audit', 'costs', 'creates', 'roundtrips', 'streams', 'webhooks']) if (wants(part)) partsMeasuredAt[part] = measuredAt;
const report = {
  measuredAt,
  partsMeasuredAt,
  machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, memoryGiB: Math.round(os.totalmem() / 1024 ** 3), node: process.version },
  database: databaseUrl ? 'postgres' : 'embedded',
  startup: wants('startup') ? startup : (previous.startup ?? []),
  turnOverhead: wants('turns') ? turnOverhead : (previous.turnOverhead ?? []),
  audit: wants('audit') ? audit : previous.audit,
  costExport: wants('costs') ? costExport : (previous.costExport ?? []),
  creates: wants('creates') ? creates : previous.creates,
  webhooks: wants('webhooks') ? webhooks : previous.webhooks,
  roundTrips: wants('roundtrips') ? roundTrips : (previous.roundTrips ?? []),
  streams: streams
    ? { stalled: streams.stalled ?? previous.streams?.stalled ?? [], transcript: streams.transcript ?? previous.streams?.transcript ?? [] }
    : previous.streams,
};
mkdirSync('bench-results', { recursive: true });
writeFileSync('bench-results/latest.json', `${JSON.stringify(report, null, 2)}\n`);
const auditFigures = report.audit;
const lines = [
  `# Benchmarks (${report.measuredAt}, ${report.machine.cpus} CPUs, Node ${report.machine.node}, ${report.database} database for turns)`,
  '',
  `Parts measured at: ${Object.entries(partsMeasuredAt).map(([part, at]) => `${part} ${at}`).join(', ')}.`,
  '',
  '## Startup and idle memory',
  '',
  '| database | first boot → ready (ms) | restart → ready (ms) | idle RSS (MiB) |',
  '|---|---|---|---|',
  ...report.startup.map((row) => `| ${row.database} | ${row.firstBootToReadyMs} | ${row.restartToReadyMs} | ${row.idleRssMiB} |`),
  '',
  '## Broker overhead per turn (streamed turn, client side)',
  '',
  ...(report.turnOverhead.length > 0 ? [`The broker's emulators ran ${report.turnOverhead[0].emulatorPlacement === 'thread' ? 'each on a worker thread of the broker process (a provider\'s work is not on the broker\'s event loop in production)' : 'on the broker\'s event loop'}.`, ''] : []),
  '| provider | concurrency | pause between a session\'s turns | turns | broker p50 / p99 (ms) | direct SDK p50 / p99 (ms) | floor (pass-through proxy) p50 / p99 (ms) | overhead p50 / p99 (ms) | first event p50 broker / direct (ms) | CPU per turn: broker process / of which emulator / PostgreSQL / floor proxy (ms) | broker\'s own time per turn: claim / record, mean (ms) |',
  '|---|---|---|---|---|---|---|---|---|---|---|',
  ...report.turnOverhead.map(
    (row) =>
      `| ${row.provider} | ${row.concurrency} | ${row.pauseMs ? `~${row.pauseMs} ms` : 'none'} | ${row.turns} | ${row.brokerP50Ms} / ${row.brokerP99Ms} | ${row.directP50Ms} / ${row.directP99Ms} | ${row.floorP50Ms ?? '–'} / ${row.floorP99Ms ?? '–'} | ${row.overheadP50Ms} / ${row.overheadP99Ms} | ${row.brokerFirstEventP50Ms} / ${row.directFirstEventP50Ms} | ${row.brokerProcessCpuMsPerTurn} / ${row.emulatorCpuMsPerTurn} / ${row.postgresCpuMsPerTurn ?? 'in process'} / ${row.floorCpuMsPerTurn ?? '–'} | ${row.brokerClaimMeanMs ?? '–'} / ${row.brokerRecordMeanMs ?? '–'} |`,
  ),
  '',
  ...(auditFigures
    ? [
        `## Audit at ${auditFigures.events.toLocaleString('en')} events (PostgreSQL)`,
        '',
        '| query | p50 (ms) | p99 (ms) |',
        '|---|---|---|',
        ...Object.keys(auditFigures.queryP50Ms).map((name) => `| ${name} | ${auditFigures.queryP50Ms[name]} | ${auditFigures.queryP99Ms[name]} |`),
        '',
        `Export (${auditFigures.exportFormat}): ${auditFigures.exportSeconds} s, ${(auditFigures.exportBytes / 1024 ** 2).toFixed(0)} MiB, first byte after ${auditFigures.exportTimeToFirstByteMs} ms, broker RSS ${auditFigures.brokerRssBeforeExportMiB} MiB before, peak ${auditFigures.brokerPeakRssMiB} MiB (broker flags: ${startScriptNodeFlags().join(' ')}).`,
        '',
      ]
    : []),
  ...(report.costExport.length > 0
    ? [
        `## FOCUS cost export, ${report.costExport[0].rows.toLocaleString('en')} rows (PostgreSQL)`,
        '',
        '| broker Node flags | first byte (ms) | first row (ms) | total (s) | rows/s | RSS before / peak (MiB) |',
        '|---|---|---|---|---|---|',
        ...report.costExport.map(
          (row) =>
            `| ${row.nodeFlags} | ${row.timeToFirstByteMs} | ${row.timeToFirstRowMs} | ${(row.totalMs / 1000).toFixed(1)} | ${row.rowsPerSecond} | ${row.baselineRssMiB} / ${row.peakRssMiB} |`,
        ),
        '',
      ]
    : []),
  ...(report.creates
    ? [
        '## Session creates with limits and audit on (PostgreSQL)',
        '',
        `${report.creates.replicas} replicas, ${report.creates.clients} concurrent clients, ${report.creates.creates} creates: **${report.creates.createsPerSecond} creates/s**, p50 ${report.creates.p50Ms} ms, p99 ${report.creates.p99Ms} ms (${report.creates.limited} refused).`,
        '',
      ]
    : []),
  ...(report.webhooks
    ? [
        '## Webhook deliveries (PostgreSQL)',
        '',
        `${report.webhooks.replicas} replicas, ${report.webhooks.webhooks} webhooks × ${report.webhooks.events} events to a local receiver: **${report.webhooks.deliveriesPerSecond} deliveries/s** (${report.webhooks.deliveries} delivered, ${report.webhooks.duplicates} duplicates, drained ${report.webhooks.drainMs} ms after the last event).`,
        '',
      ]
    : []),
  ...(report.roundTrips.length > 0
    ? [
        '## Database round trips per streamed turn (PostgreSQL statement log, one replica, warm)',
        '',
        '| provider | turns | statements per turn | of which on the live-turn bus |',
        '|---|---|---|---|',
        ...report.roundTrips.map((row) => `| ${row.provider} | ${row.turns} | ${row.statementsPerTurn} | ${row.busStatementsPerTurn} |`),
        '',
      ]
    : []),
  ...(report.streams
    ? [
        `## Stalled event streams and large transcripts (broker flags: ${startScriptNodeFlags().join(' ')})`,
        '',
        '| settings | stalled streams | event bytes per turn | RSS before / peak / after (MiB) | broker alive | dropped | turns recorded | seconds |',
        '|---|---|---|---|---|---|---|---|',
        ...report.streams.stalled.map(
          (row) =>
            `| ${JSON.stringify(row.settings) === '{}' ? 'defaults' : JSON.stringify(row.settings)} | ${row.streams} | ${row.eventBytesPerTurn} | ${row.rssBeforeMiB} / ${row.rssPeakMiB} / ${row.rssAfterMiB} | ${row.brokerAlive} | ${row.dropped} | ${row.turnsRecorded} | ${row.seconds} |`,
        ),
        '',
        '| settings | events (MiB) | GET ?limit=1000: status, events, MiB, ms | pages to read all | RSS before / peak (MiB) | broker alive |',
        '|---|---|---|---|---|---|',
        ...report.streams.transcript.map(
          (row) =>
            `| ${JSON.stringify(row.settings) === '{}' ? 'defaults' : JSON.stringify(row.settings)} | ${row.events} (${row.transcriptMiB}) | ${row.firstPageStatus}, ${row.firstPageEvents}, ${row.firstPageMiB}, ${row.firstPageMs} | ${row.pagesToReadAll} | ${row.rssBeforeMiB} / ${row.rssPeakMiB} | ${row.brokerAlive} |`,
        ),
        '',
      ]
    : []),
];
writeFileSync('bench-results/latest.md', lines.join('\n'));
console.log(lines.join('\n'));
