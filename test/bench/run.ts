import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { benchAudit } from './audit.bench.js';
import { benchCostExport } from './cost-export.bench.js';
import { benchCreates } from './creates.bench.js';
import { benchFramework } from './framework.bench.js';
import { benchOpenStreams, openStreamsThatFit } from './open-streams.bench.js';
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
/** Parts that failed this run: they keep their last figures, the others are still written, and the run exits 1. */
const failedParts = new Set<string>();
/** Runs a part's measurement; a failure is reported and leaves `fallback`, and the run goes on to the next part. */
async function measurePart<T>(part: string, measure: () => Promise<T>, fallback: T): Promise<T> {
  if (!wants(part)) return fallback;
  try {
    return await measure();
  } catch (error) {
    failedParts.add(part);
    console.error(`bench part ${part} failed; it keeps its last figures:`, error);
    return fallback;
  }
}
/** A part measured this run (asked for and not failed). */
const ran = (part: string) => wants(part) && !failedParts.has(part);
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
const startup = await measurePart('startup', () => benchStartup(databaseUrl), []);
const turnOverhead = await measurePart('turns', async () => benchTurnOverhead(await Promise.all(runtimeModules.filter((module) => !process.env.BENCH_RUNTIMES || process.env.BENCH_RUNTIMES.split(',').includes(module.id)).map((module) => module.conformance())), turnLoads, databaseUrl), []);
// Audit at a million events needs PostgreSQL (seeding and the broker run as separate processes).
const audit = databaseUrl ? await measurePart('audit', () => benchAudit(databaseUrl, Number(process.env.BENCH_AUDIT_EVENTS ?? 1_000_000)), undefined) : undefined;
const costExport = await measurePart('costs', () => benchCostExport(databaseUrl), []);
const creates = await measurePart('creates', () => benchCreates(databaseUrl), undefined);
// Webhook deliveries/s need PostgreSQL (two replicas).
const webhooks = await measurePart('webhooks', () => benchWebhooks(databaseUrl), undefined);
const statementDatabaseUrl = process.env.BENCH_STATEMENT_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/sb_stmt';
const roundTrips = await measurePart(
  'roundtrips',
  async () => {
    const measuredTrips: RoundTripFigures[] = [];
    const providers = (process.env.BENCH_RUNTIMES ?? 'agentcore').split(',');
    for (const module of runtimeModules.filter((candidate) => providers.includes(candidate.id))) {
      const figures = await benchRoundTrips(await module.conformance(), statementDatabaseUrl);
      // The statements themselves, for whoever wants to see what a turn costs.
      console.log(`${figures.provider}: one turn's statements\n  ${figures.sample.join('\n  ')}`);
      measuredTrips.push(figures);
    }
    return measuredTrips;
  },
  [] as RoundTripFigures[],
);
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
// `-- openstreams`: issue 17 item 6 on one replica (BENCH_OPEN_STREAMS, default 10,000 or what the fd limit allows).
// `-- framework`: what the HTTP layer alone costs per request (node:http, Express, Nest on Express), no broker behind it.
const framework = await measurePart('framework', () => benchFramework(), []);
const openStreams = await measurePart('openstreams', () => benchOpenStreams(databaseUrl, Number(process.env.BENCH_OPEN_STREAMS ?? openStreamsThatFit())), undefined);

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
  openStreams?: typeof openStreams;
  framework?: typeof framework;
};
const measuredAt = new Date().toISOString();
const partsMeasuredAt: Record<string, string> = { ...previous.partsMeasuredAt };
for (const part of ['startup', 'turns', 'audit', 'costs', 'creates', 'roundtrips', 'streams', 'webhooks', 'openstreams', 'framework']) if (ran(part)) partsMeasuredAt[part] = measuredAt;
const report = {
  measuredAt,
  partsMeasuredAt,
  machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, memoryGiB: Math.round(os.totalmem() / 1024 ** 3), node: process.version },
  database: databaseUrl ? 'postgres' : 'embedded',
  startup: ran('startup') ? startup : (previous.startup ?? []),
  turnOverhead: ran('turns') ? turnOverhead : (previous.turnOverhead ?? []),
  audit: ran('audit') ? audit : previous.audit,
  costExport: ran('costs') ? costExport : (previous.costExport ?? []),
  creates: ran('creates') ? creates : previous.creates,
  webhooks: ran('webhooks') ? webhooks : previous.webhooks,
  roundTrips: ran('roundtrips') ? roundTrips : (previous.roundTrips ?? []),
  openStreams: ran('openstreams') ? openStreams : previous.openStreams,
  framework: ran('framework') ? framework : (previous.framework ?? []),
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
  ...targetLines(report),
  '## Startup and idle memory',
  '',
  '| database | runtimes | first boot → ready (ms) | restart → ready (ms) | idle RSS (MiB) |',
  '|---|---|---|---|---|',
  ...report.startup.map((row) =>
    row.frameworksOnly
      ? `| ${row.database} | none: Nest on Express and one pg connection alone, no broker code (the floor) | – | – | ${row.idleRssMiB} |`
      : `| ${row.database} | ${row.emulators === false ? 'all off' : 'four emulated'} | ${row.firstBootToReadyMs} | ${row.restartToReadyMs} | ${row.idleRssMiB} |`,
  ),
  '',
  '## Broker overhead per turn (streamed turn, client side)',
  '',
  ...(report.turnOverhead.length > 0 ? [`The broker's emulators ran ${report.turnOverhead[0].emulatorPlacement === 'thread' ? 'each on a worker thread of the broker process (a provider\'s work is not on the broker\'s event loop in production)' : 'on the broker\'s event loop'}.`, ''] : []),
  '| provider | concurrency | pause between a session\'s turns | turns | broker p50 / p99 (ms) | direct SDK p50 / p99 (ms) | floor (pass-through proxy) p50 / p99 (ms) | overhead p50 / p99 (ms) | first event p50 broker / direct (ms) | CPU per turn: broker process / of which emulator / PostgreSQL / floor proxy / direct client (ms) | turns/s direct / brokered | broker\'s own time per turn: claim / record, mean (ms) |',
  '|---|---|---|---|---|---|---|---|---|---|---|---|',
  ...report.turnOverhead.map(
    (row) =>
      `| ${row.provider} | ${row.concurrency} | ${row.pauseMs ? `~${row.pauseMs} ms` : 'none'} | ${row.turns} | ${row.brokerP50Ms} / ${row.brokerP99Ms} | ${row.directP50Ms} / ${row.directP99Ms} | ${row.floorP50Ms ?? '–'} / ${row.floorP99Ms ?? '–'} | ${row.overheadP50Ms} / ${row.overheadP99Ms} | ${row.brokerFirstEventP50Ms} / ${row.directFirstEventP50Ms} | ${row.brokerProcessCpuMsPerTurn} / ${row.emulatorCpuMsPerTurn} / ${row.postgresCpuMsPerTurn ?? 'in process'} / ${row.floorCpuMsPerTurn ?? '–'} / ${row.directClientCpuMsPerTurn ?? '–'} | ${row.directTurnsPerSecond ?? '–'} / ${row.brokerTurnsPerSecond ?? '–'} | ${row.brokerClaimMeanMs ?? '–'} / ${row.brokerRecordMeanMs ?? '–'} |`,
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
        `${report.creates.replicas} replicas, ${report.creates.clients} concurrent clients, ${report.creates.creates} creates: **${report.creates.createsPerSecond} creates/s**, p50 ${report.creates.p50Ms} ms, p99 ${report.creates.p99Ms} ms (${report.creates.limited} refused)${report.creates.cpuMsPerCreate ? `; CPU per create: brokers ${report.creates.cpuMsPerCreate.brokers} ms, PostgreSQL ${report.creates.cpuMsPerCreate.postgres} ms, the emulated provider (its own process) ${report.creates.cpuMsPerCreate.emulator} ms, the bench's HTTP clients ${report.creates.cpuMsPerCreate.clients} ms: at most ${Math.round((report.creates.cpus * 1000) / Object.values(report.creates.cpuMsPerCreate).reduce((sum, ms) => sum + ms, 0))} creates/s on the ${report.creates.cpus} CPUs they shared, every one of them busy` : ''}.`,
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
  ...(report.framework.length > 0
    ? [
        '## The HTTP layer alone: a turn-shaped request with no broker work behind it',
        '',
        'POST /v1/sessions/{id}/turns with a bearer key and a small JSON body, answered with small JSON, one request at a time on a kept-alive connection; each server in its own process.',
        '',
        '| server | requests | server CPU per request (ms) | round trip p50 / p99 (ms) |',
        '|---|---|---|---|',
        ...report.framework.map((row) => `| ${row.server} | ${row.requests} | ${row.cpuMsPerRequest} | ${row.p50Ms} / ${row.p99Ms} |`),
        '',
      ]
    : []),
  ...(report.roundTrips.length > 0
    ? [
        '## Database round trips per streamed turn (PostgreSQL statement log, one replica, warm)',
        '',
        '| provider | turns | statements per turn | of which on the live-turn bus | one-time PREPAREs meanwhile (per connection, not per turn) |',
        '|---|---|---|---|---|',
        ...report.roundTrips.map((row) => `| ${row.provider} | ${row.turns} | ${row.statementsPerTurn} | ${row.busStatementsPerTurn} | ${row.oneTimePrepares ?? '–'} |`),
        '',
      ]
    : []),
  ...(report.openStreams
    ? [
        `## Open streamed turns on one replica (${report.openStreams.database}; Claude emulated in its own process, each turn held at the provider)`,
        '',
        '| streams | held at the provider | opened in (s) | broker RSS before / all open / after (MiB) | growth per open stream (KiB), broker / Claude SDK alone | endings after release | release → all ended (s) | idle broker CPU, no sessions / all live (ms per minute) |',
        '|---|---|---|---|---|---|---|---|',
        `| ${report.openStreams.streams} | ${report.openStreams.heldAtProvider} | ${report.openStreams.openSeconds} | ${report.openStreams.rssBeforeMiB} / ${report.openStreams.rssOpenMiB} / ${report.openStreams.rssAfterMiB} | ${report.openStreams.growthKiBPerStream} / ${report.openStreams.direct ? `${report.openStreams.direct.growthKiBPerStream} (${report.openStreams.direct.completed} of ${report.openStreams.streams} completed)` : '–'} | ${Object.entries(report.openStreams.endings).map(([ending, count]) => `${ending} ${count}`).join(', ')} | ${report.openStreams.releaseToAllEndedSeconds} | ${report.openStreams.idleCpuMsPerMinute.noSessions} / ${report.openStreams.idleCpuMsPerMinute.liveSessions} (${report.openStreams.idleCpuMsPerMinute.liveSessionCount} sessions) |`,
        '',
        ...(report.openStreams.note ? [`${report.openStreams.note}.`, ''] : []),
        'The Claude SDK alone: the same held turns opened by the SDK in a plain process (no server, no database), its RSS growth per open turn: the part of an open stream a broker following it cannot avoid.',
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
if (failedParts.size > 0) {
  console.error(`bench parts that failed (their figures are the last ones measured): ${[...failedParts].join(', ')}`);
  process.exitCode = 1;
}

/**
 * Issue 17's targets, each beside the figure measured for it (from this run
 * or the part's last run). "–" where the part has not been measured.
 */
function targetLines(report: {
  startup: Array<{ database: string; emulators?: boolean; frameworksOnly?: boolean; firstBootToReadyMs: number | null; idleRssMiB: number }>;
  turnOverhead: Array<{ provider: string; concurrency: number; pauseMs: number; overheadP50Ms: number; overheadP99Ms: number; brokerProcessCpuMsPerTurn: number; emulatorCpuMsPerTurn: number; postgresCpuMsPerTurn: number | null; directClientCpuMsPerTurn?: number; directTurnsPerSecond?: number; brokerTurnsPerSecond?: number }>;
  roundTrips: Array<{ provider: string; statementsPerTurn: number }>;
  creates?: { createsPerSecond: number; cpuMsPerCreate?: Record<string, number>; cpus: number };
  openStreams?: { streams: number; growthKiBPerStream: number; completed: number; idleCpuMsPerMinute: { noSessions: number; liveSessions: number }; direct?: { growthKiBPerStream: number } };
  audit?: { brokerPeakRssMiB: number };
  costExport: Array<{ peakRssMiB: number }>;
}): string[] {
  const rows: Array<[string, string, string, boolean | undefined]> = [];
  const worst = <T>(items: T[], value: (item: T) => number, label: (item: T) => string): [string, number] | undefined => {
    if (items.length === 0) return undefined;
    const top = items.reduce((a, b) => (value(b) > value(a) ? b : a));
    return [`${value(top)} (${label(top)}; ${items.map((item) => value(item)).join(', ')} by runtime)`, value(top)];
  };
  const add = (target: string, goal: string, measured: [string, number] | undefined, met: (value: number) => boolean) =>
    rows.push([target, goal, measured?.[0] ?? '–', measured ? met(measured[1]) : undefined]);
  add('2. database round trips per streamed turn', '≤ 3', worst(report.roundTrips, (row) => row.statementsPerTurn, (row) => row.provider), (value) => value <= 3);
  const load = (concurrency: number, paced: boolean) => report.turnOverhead.filter((row) => row.concurrency === concurrency && (row.pauseMs > 0) === paced);
  add('3. overhead p50, one session (ms)', '≤ 3', worst(load(1, false), (row) => row.overheadP50Ms, (row) => row.provider), (value) => value <= 3);
  add('3. overhead p99, one session (ms)', '≤ 10', worst(load(1, false), (row) => row.overheadP99Ms, (row) => row.provider), (value) => value <= 10);
  add('3. overhead p50, 64 sessions pausing ~1 s (ms)', '≤ 5', worst(load(64, true), (row) => row.overheadP50Ms, (row) => row.provider), (value) => value <= 5);
  add('3. overhead p99, 64 sessions pausing ~1 s (ms)', '≤ 25', worst(load(64, true), (row) => row.overheadP99Ms, (row) => row.provider), (value) => value <= 25);
  const cpuRatio = (row: (typeof report.turnOverhead)[number]) =>
    row.directClientCpuMsPerTurn ? Math.round(((row.brokerProcessCpuMsPerTurn - row.emulatorCpuMsPerTurn + (row.postgresCpuMsPerTurn ?? 0)) / row.directClientCpuMsPerTurn) * 100) / 100 : NaN;
  add('4. (broker − emulator + PostgreSQL) CPU ÷ direct client CPU, per turn, one session', '≤ 2', worst(load(1, false).filter((row) => row.directClientCpuMsPerTurn), cpuRatio, (row) => row.provider), (value) => value <= 2);
  const throughput = (row: (typeof report.turnOverhead)[number]) => Math.round(((row.brokerTurnsPerSecond ?? NaN) / (row.directTurnsPerSecond ?? NaN)) * 100);
  const lowest = load(64, false).filter((row) => row.directTurnsPerSecond);
  const slowest = lowest.length > 0 ? lowest.reduce((a, b) => (throughput(b) < throughput(a) ? b : a)) : undefined;
  add('4. saturated brokered turns/s as % of direct (64 back to back)', '≥ 60 %', slowest && [`${throughput(slowest)} % (${slowest.provider}; ${lowest.map(throughput).join(', ')} by runtime)`, throughput(slowest)], (value) => value >= 60);
  const createCpu = report.creates?.cpuMsPerCreate && Object.values(report.creates.cpuMsPerCreate).reduce((sum, ms) => sum + ms, 0);
  add(
    '5. session creates/s, PostgreSQL, two replicas',
    '≥ 500',
    report.creates && [
      `${report.creates.createsPerSecond}${createCpu ? ` (${Math.round(createCpu * 100) / 100} ms of CPU per create, all processes: at most ${Math.round((report.creates.cpus * 1000) / createCpu)}/s on ${report.creates.cpus} CPUs)` : ''}`,
      report.creates.createsPerSecond,
    ],
    (value) => value >= 500,
  );
  const streams = report.openStreams;
  add('6. broker memory per open SSE turn (KiB)', '≤ 40', streams && [`${streams.growthKiBPerStream} (${streams.streams} streams${streams.direct ? `; the Claude SDK alone: ${streams.direct.growthKiBPerStream}` : ''})`, streams.growthKiBPerStream], (value) => value <= 40);
  add('6. open turns completed when released', 'all', streams && [`${streams.completed} of ${streams.streams}`, streams.streams - streams.completed], (value) => value === 0);
  add('6. idle broker CPU, every session live vs none (ms per minute)', '≈ none more (≤ +60)', streams && [`${streams.idleCpuMsPerMinute.liveSessions} vs ${streams.idleCpuMsPerMinute.noSessions}`, streams.idleCpuMsPerMinute.liveSessions - streams.idleCpuMsPerMinute.noSessions], (value) => value <= 60);
  const start = (database: string, emulators: boolean) => report.startup.find((row) => row.database === database && (row.emulators ?? true) === emulators && !row.frameworksOnly);
  const bare = start('postgres', false);
  const embedded = start('embedded', true);
  const frameworks = report.startup.find((row) => row.frameworksOnly);
  add('7. idle RSS, PostgreSQL, no emulators (MiB)', '≤ 100', bare && [`${bare.idleRssMiB}${frameworks ? ` (Nest, Express and pg alone: ${frameworks.idleRssMiB})` : ''}`, bare.idleRssMiB], (value) => value <= 100);
  add('7. idle RSS, embedded, four emulators (MiB)', '≤ 300', embedded && [String(embedded.idleRssMiB), embedded.idleRssMiB], (value) => value <= 300);
  add('7. ready, PostgreSQL, no emulators (ms)', '≤ 2000', bare?.firstBootToReadyMs != null ? [String(bare.firstBootToReadyMs), bare.firstBootToReadyMs] : undefined, (value) => value <= 2000);
  add('7. ready, fresh embedded database (ms)', '≤ 4000', embedded?.firstBootToReadyMs != null ? [String(embedded.firstBootToReadyMs), embedded.firstBootToReadyMs] : undefined, (value) => value <= 4000);
  const exportPeak = Math.max(report.audit?.brokerPeakRssMiB ?? NaN, ...report.costExport.map((row) => row.peakRssMiB));
  add('7. peak RSS of 1 M-row audit / FOCUS exports (MiB)', '< 200', Number.isFinite(exportPeak) ? [String(exportPeak), exportPeak] : undefined, (value) => value < 200);
  return [
    '## Issue 17 targets',
    '',
    'The worst runtime is the one compared. Item 1 (the floor row) is the turn table\'s pass-through proxy column.',
    '',
    '| target | goal | measured | met |',
    '|---|---|---|---|',
    ...rows.map(([target, goal, measured, met]) => `| ${target} | ${goal} | ${measured} | ${met === undefined ? 'not measured' : met ? 'yes' : '**no**'} |`),
    '',
  ];
}
