import { randomBytes } from 'node:crypto';
import { Agent, request } from 'node:http';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { spawnBroker, type BrokerProcess } from '../support/broker-process.js';
import { grantClaudeTarget, liveClaudeBrokerEnv, startClaudeEmulatorProcess } from './live-claude-broker.js';
import { directOpenStreams, type DirectOpenStreams } from './open-streams-direct.js';
import { processCpuMs, processMemoryMiB, runConcurrently } from './stats.js';

export interface OpenStreamFigures {
  database: 'postgres' | 'embedded';
  /** Streamed turns held open at once on the one replica. */
  streams: number;
  /** Why not 10,000, when fewer were asked for (the file-descriptor ceiling of this machine). */
  note?: string;
  /** Sessions created for them, and how fast (limits and audit on). */
  sessionsCreatedPerSecond: number;
  /** Seconds from the first turn request until every stream had its `turn.started` and the emulator held every turn. */
  openSeconds: number;
  /** Turns the emulator held at once (each a live provider stream the broker follows). */
  heldAtProvider: number;
  rssBeforeMiB: number;
  rssOpenMiB: number;
  /** (RSS with every stream open − RSS before) / streams. */
  growthKiBPerStream: number;
  /** After release: streams that ended with `turn.completed`, and every other ending by kind. */
  completed: number;
  endings: Record<string, number>;
  releaseToAllEndedSeconds: number;
  /** The last bytes of the first stream that did not end with turn.completed, if any (what went wrong). */
  firstOtherEnding?: string;
  rssAfterMiB: number;
  /** Broker CPU while idle, before any session and with every session live and idle (ms of CPU per minute). */
  idleCpuMsPerMinute: { noSessions: number; liveSessions: number; liveSessionCount: number };
  /** The same turns held open by the Claude SDK alone in a plain process: the part of an open stream no broker can avoid. */
  direct: DirectOpenStreams;
}

/** This process's open-file limit (a spawned broker inherits it): `Max open files` in /proc/self/limits. */
export function openFileLimit(): number {
  return Number(/Max open files\s+(\d+)/.exec(readFileSync('/proc/self/limits', 'utf8'))?.[1] ?? Infinity);
}

/**
 * How many streams fit: 10,000, or fewer when the broker's two sockets per
 * stream (plus its pooled provider connections, database and files: ~1,000
 * kept aside) would pass the file-descriptor limit.
 */
export function openStreamsThatFit(wanted = 10_000): number {
  return Math.min(wanted, Math.floor((openFileLimit() - 1_000) / 2));
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** CPU the process spends over `ms` of wall time, per minute. */
async function cpuPerMinute(pid: number, ms: number): Promise<number> {
  const before = processCpuMs(pid);
  await sleep(ms);
  return Math.round(((processCpuMs(pid) - before) * 60_000) / ms);
}

/** A streamed turn over its own socket: resolves `opened` at its first event, `ended` with how the stream ended. */
/** The tail of the first stream that ended otherwise than completed. */
let firstOtherEnding: string | undefined;

function openTurn(broker: BrokerProcess, agent: Agent, sessionId: string, headers: Record<string, string>): { opened: Promise<void>; ended: Promise<string> } {
  let markOpened!: () => void;
  const opened = new Promise<void>((resolve) => (markOpened = resolve));
  const ended = new Promise<string>((resolve) => {
    const url = new URL(`/v1/sessions/${sessionId}/turns`, broker.url);
    const body = JSON.stringify({ input: 'hello from an open stream' });
    const call = request(url, { method: 'POST', agent, headers: { ...headers, accept: 'text/event-stream', 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (response) => {
      if (response.statusCode !== 200) {
        markOpened();
        response.resume();
        return resolve(`HTTP ${response.statusCode}`);
      }
      // Only the last few hundred bytes are kept: what matters is how the stream ends.
      let tail = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        if (tail === '' || chunk.includes('event: turn.started')) markOpened();
        tail = (tail + chunk).slice(-512);
      });
      response.on('end', () => {
        markOpened();
        const ending = tail.includes('event: turn.completed') ? 'completed' : tail.includes('event: turn.failed') ? 'failed' : tail.includes('event: error') ? 'error event' : 'cut';
        if (ending !== 'completed') firstOtherEnding ??= tail.slice(-400);
        resolve(ending);
      });
      response.on('error', () => resolve('error'));
    });
    call.on('error', (error) => {
      markOpened();
      resolve(`connection: ${error.message}`);
    });
    call.end(body);
  });
  return { opened, ended };
}

/**
 * Issue 17 item 6: many streamed turns open at once on ONE replica, each a
 * live provider stream the emulator holds (a `hold` fault on `turns.run`:
 * the agent is "running" and has said nothing yet), then all released and
 * read to their end. The broker's RSS before and with every stream open
 * gives its memory per open stream; the endings say whether every one
 * completed. Before that, the broker's CPU while idle, with no session and
 * with every session live and idle: the lifecycle sweeps' cost does not
 * grow with the sessions between sweeps.
 *
 * The emulator runs in a process of its own (its memory and sockets are
 * not the broker's). Each open stream costs the broker two sockets (the
 * client's, and the provider's HTTP/1.1 event stream): the stream count is
 * bounded by the process's file-descriptor limit (`ulimit -n`).
 */
export async function benchOpenStreams(databaseUrl: string | undefined, streams: number): Promise<OpenStreamFigures> {
  firstOtherEnding = undefined;
  const operatorKey = `bench-operator-${randomBytes(12).toString('hex')}`;
  const dataDir = mkdtempSync(path.join(tmpdir(), 'switchboard-bench-open-streams-'));
  const emulator = await startClaudeEmulatorProcess();
  const broker = await spawnBroker(
    {
      ...liveClaudeBrokerEnv({ emulatorUrl: emulator.url, databaseUrl, dataDir, operatorKey }),
      // Held turns must outlive the bench's open phase.
      TURN_TIMEOUT_MS: '900000',
    },
    180_000,
    [
      // An open stream holds ~60 KiB of heap (snapshot at 1,000 streams), ~560 MiB for 9,500: past npm start's 512 MiB.
      // A 9,500-stream run with that budget lost its broker (why was not captured then; the bench now prints a dying
      // broker's output). Production's per-replica cap (LIMIT_MAX_OPEN_STREAMS_PER_REPLICA, 1,000) refuses long
      // before; this bench lifts the cap to measure, so it lifts the heap too (the later flag wins).
      `--max-old-space-size=${process.env.BENCH_OPEN_STREAMS_HEAP_MIB ?? 2048}`,
      // BENCH_OPEN_STREAMS_SNAPSHOT_DIR: a heap snapshot of the broker with every stream open, written there (what holds the memory).
      ...(process.env.BENCH_OPEN_STREAMS_SNAPSHOT_DIR ? ['--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${process.env.BENCH_OPEN_STREAMS_SNAPSHOT_DIR}`] : []),
    ],
  );
  const pid = broker.child.pid!;
  // A broker that dies mid-run is reported with its last words, not only as a missing /proc entry.
  let stopping = false;
  broker.child.once('exit', (code, signal) => {
    if (!stopping) console.error(`open-streams: the broker died (exit ${code}, signal ${signal}):\n${broker.output().slice(-3000)}`);
  });
  try {
    const call = async (route: string, key: string, body?: unknown, headers: Record<string, string> = {}, method?: string) => {
      const response = await fetch(`${broker.url}${route}`, {
        method: method ?? (body === undefined ? 'GET' : 'POST'),
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...headers },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      return { status: response.status, json: (await response.json().catch(() => undefined)) as any };
    };
    // BENCH_IDLE_WINDOW_MS shortens the idle CPU windows (a quick look while working).
    const idleWindowMs = Number(process.env.BENCH_IDLE_WINDOW_MS ?? 30_000);
    // Past the boot's own after-work (first sweeps, leadership, JIT), which is not idling.
    await sleep(10_000);
    const noSessions = await cpuPerMinute(pid, idleWindowMs);

    const tenant = (await call('/v1/tenants', operatorKey, { name: `open-streams-${randomBytes(4).toString('hex')}` })).json.id as string;
    const admin = (await call(`/v1/tenants/${tenant}/api-keys`, operatorKey, { role: 'admin', name: 'admin' })).json.key as string;
    const app = (await call(`/v1/tenants/${tenant}/api-keys`, operatorKey, { role: 'app', name: 'app' })).json.key as string;
    await grantClaudeTarget(broker.url, operatorKey, tenant, emulator.target);
    const createdAgent = await call('/v1/agents', admin, { name: 'open-streams', defaultProvider: 'claude', targets: { claude: emulator.target } });
    if (createdAgent.status !== 201) throw new Error(`could not create the agent: ${createdAgent.status} ${JSON.stringify(createdAgent.json)}`);
    const lots = 10_000_000;
    const limits = await call('/v1/limits', admin, { maxActiveSessionsPerUser: lots, maxActiveSessionsPerTenant: lots, sessionCreatesPerMinutePerUser: lots, turnsPerMinutePerUser: lots, maxOpenStreamsPerTenant: lots }, {}, 'PUT');
    if (limits.status !== 200) throw new Error(`limits: ${limits.status} ${JSON.stringify(limits.json)}`);

    // A hundred sessions per user: the per-user paths see more than one session, the tenant sees them all.
    const userOf = (index: number) => `stream-user-${Math.floor(index / 100)}`;
    const sessionIds: string[] = new Array(streams);
    const createStart = performance.now();
    const workers = 32;
    await runConcurrently(workers, Math.ceil(streams / workers), async (worker, index) => {
      const slot = index * workers + worker;
      if (slot >= streams) return;
      const created = await call('/v1/sessions', app, { agent: 'open-streams' }, { 'x-end-user': userOf(slot) });
      if (created.status !== 201) throw new Error(`session create answered ${created.status}: ${JSON.stringify(created.json)}`);
      sessionIds[slot] = created.json.id as string;
    });
    const sessionsCreatedPerSecond = Math.round(streams / ((performance.now() - createStart) / 1000));
    await sleep(3_000);
    const liveSessions = await cpuPerMinute(pid, idleWindowMs);

    const control = (route: string, body?: unknown) =>
      fetch(`${emulator.url}/_emulator/${route}`, { method: body === undefined && route === 'holds' ? 'GET' : 'POST', ...(body === undefined ? {} : { body: JSON.stringify(body) }) }).then((response) => response.json() as Promise<Record<string, number>>);
    await control('faults', { op: 'turns.run', fault: { kind: 'hold', times: streams } });
    const rssBeforeMiB = processMemoryMiB(pid);
    // One socket per stream (no pooling), opened at most 256 at a time.
    const agent = new Agent({ keepAlive: false, maxSockets: Infinity });
    const turns: Array<Promise<string>> = [];
    const openStart = performance.now();
    await runConcurrently(256, Math.ceil(streams / 256), async (worker, index) => {
      const slot = index * 256 + worker;
      if (slot >= streams) return;
      const turn = openTurn(broker, agent, sessionIds[slot], { authorization: `Bearer ${app}`, 'x-end-user': userOf(slot) });
      turns.push(turn.ended);
      await turn.opened;
    });
    let heldAtProvider = (await control('holds')).holding;
    for (let waited = 0; heldAtProvider < streams && waited < 60_000; waited += 500) {
      await sleep(500);
      heldAtProvider = (await control('holds')).holding;
    }
    const openSeconds = Math.round((performance.now() - openStart) / 100) / 10;
    // Settled: three samples a second apart, the highest counted.
    const samples: number[] = [];
    for (let sample = 0; sample < 3; sample++) {
      await sleep(1_000);
      samples.push(processMemoryMiB(pid));
    }
    const rssOpenMiB = Math.max(...samples);
    if (process.env.BENCH_OPEN_STREAMS_SNAPSHOT_DIR) {
      broker.child.kill('SIGUSR2');
      // Writing a snapshot of a few hundred MiB takes a while; the streams stay held meanwhile.
      await sleep(30_000);
    }

    const released = performance.now();
    await control('release');
    const endings: Record<string, number> = {};
    for (const ending of await Promise.all(turns)) endings[ending] = (endings[ending] ?? 0) + 1;
    const releaseToAllEndedSeconds = Math.round((performance.now() - released) / 100) / 10;
    agent.destroy();
    await sleep(2_000);
    const rssAfterMiB = processMemoryMiB(pid);

    const waitHeld = async () => {
      for (let waited = 0; (await control('holds')).holding < streams && waited < 60_000; waited += 500) await sleep(500);
    };
    const direct = await directOpenStreams(
      emulator.url,
      emulator.target as { agentId: string; environmentId: string },
      streams,
      async () => void (await control('faults', { op: 'turns.run', fault: { kind: 'hold', times: streams } })),
      waitHeld,
      async () => void (await control('release')),
    );
    return {
      database: databaseUrl ? 'postgres' : 'embedded',
      streams,
      ...(streams < 10_000 ? { note: `10,000 open streams need over 20,000 broker sockets (the client's and the provider's HTTP/1.1 stream each); this machine's processes may open ${openFileLimit()} files (hard limit)` } : {}),
      sessionsCreatedPerSecond,
      openSeconds,
      heldAtProvider,
      rssBeforeMiB,
      rssOpenMiB,
      growthKiBPerStream: Math.round(((rssOpenMiB - rssBeforeMiB) * 1024 * 10) / streams) / 10,
      completed: endings.completed ?? 0,
      endings,
      releaseToAllEndedSeconds,
      ...(firstOtherEnding ? { firstOtherEnding } : {}),
      rssAfterMiB,
      idleCpuMsPerMinute: { noSessions, liveSessions, liveSessionCount: streams },
      direct,
    };
  } finally {
    stopping = true;
    if (broker.child.exitCode === null) {
      broker.child.kill('SIGTERM');
      await broker.exited;
    }
    await emulator.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
