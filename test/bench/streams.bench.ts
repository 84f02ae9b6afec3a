import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startClaudeEmulator } from '#providers/claude';
import { spawnBroker, type BrokerProcess } from '../support/broker-process.js';
import { grantClaudeTarget, liveClaudeBrokerEnv } from './live-claude-broker.js';
import { processMemoryMiB } from './stats.js';

export interface StalledStreamFigures {
  /** Extra broker settings of this run (e.g. an unbounded SSE_MAX_BUFFERED_BYTES, as before issue 23). */
  settings: Record<string, string>;
  streams: number;
  /** The HTTP status each stalled turn was answered with. */
  statuses: Record<string, number>;
  /** What one stalled turn streams (its input echoed, run through a tool, recalled): measured on a reading client. */
  eventBytesPerTurn: number;
  rssBeforeMiB: number;
  rssPeakMiB: number;
  rssAfterMiB: number;
  brokerAlive: boolean;
  /** Stalled clients whose connection the broker closed before the turn ended. */
  dropped: number;
  /** Turns recorded as completed in the transcript afterwards. */
  turnsRecorded: number;
  seconds: number;
}

export interface TranscriptGetFigures {
  settings: Record<string, string>;
  events: number;
  transcriptMiB: number;
  firstPageStatus: number | 'connection failed';
  firstPageEvents: number;
  firstPageMiB: number;
  firstPageMs: number;
  pagesToReadAll: number;
  rssBeforeMiB: number;
  rssPeakMiB: number;
  brokerAlive: boolean;
}

const operatorKey = `bench-operator-${randomBytes(12).toString('hex')}`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** 0.9 MB of input (the emulator takes 1 MB): echoed, run through a tool and recalled by the next turn. */
const largeInput = [{ type: 'text', text: 'tool' }, ...Array.from({ length: 5 }, () => ({ type: 'text', text: 'x'.repeat(180_000) }))];

async function brokerWithTenant(databaseUrl: string | undefined, settings: Record<string, string>) {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'switchboard-bench-streams-'));
  // Claude runs in this process, not the broker's: the emulator keeps every turn's events, which is not the broker's memory.
  const emulator = await startClaudeEmulator();
  const broker = await spawnBroker({
    ...liveClaudeBrokerEnv({ emulatorUrl: emulator.url, databaseUrl, dataDir, operatorKey }),
    ...settings,
  });
  const call = async (route: string, key: string, body?: unknown, headers: Record<string, string> = {}, method?: string) => {
    const response = await fetch(`${broker.url}${route}`, {
      method: method ?? (body === undefined ? 'GET' : 'POST'),
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    return { status: response.status, json: (await response.json()) as any };
  };
  const tenant = (await call('/v1/tenants', operatorKey, { name: `streams-${randomBytes(4).toString('hex')}` })).json.id as string;
  const admin = (await call(`/v1/tenants/${tenant}/api-keys`, operatorKey, { role: 'admin', name: 'a' })).json.key as string;
  const app = (await call(`/v1/tenants/${tenant}/api-keys`, operatorKey, { role: 'app', name: 'b' })).json.key as string;
  await grantClaudeTarget(broker.url, operatorKey, tenant, emulator.demoTarget);
  await call('/v1/agents', admin, {
    name: 'bench',
    defaultProvider: 'claude',
    targets: { claude: emulator.demoTarget },
  });
  await call('/v1/limits', admin, { maxActiveSessionsPerUser: 1_000_000, maxActiveSessionsPerTenant: 1_000_000, sessionCreatesPerMinutePerUser: 1_000_000 }, {}, 'PUT');
  const as = (user: string) => ({
    call: (route: string, body?: unknown, headers: Record<string, string> = {}) => call(route, app, body, { 'x-end-user': user, ...headers }),
  });
  return {
    broker,
    appKey: app,
    as,
    /** Up, unless /healthz fails three times in a row (one failure may be a keep-alive socket closed under it). */
    alive: async () => {
      for (let attempt = 0; attempt < 3; attempt++) {
        if ((await fetch(`${broker.url}/healthz`).then((response) => response.status).catch(() => 0)) === 200) return true;
        if (broker.child.exitCode !== null || broker.child.signalCode !== null) return false;
        await sleep(200);
      }
      return false;
    },
    async stop() {
      if (broker.child.exitCode === null && broker.child.signalCode === null) {
        broker.child.kill('SIGTERM');
        await broker.exited;
      }
      await emulator.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A client that sends its turn and never reads: the broker's socket buffers fill. */
function stalledTurn(broker: BrokerProcess, sessionId: string, appKey: string, user: string): { socket: Socket; readToEnd(): Promise<{ completed: boolean; head: string }> } {
  const { hostname, port } = new URL(broker.url);
  const socket = connect(Number(port), hostname);
  socket.on('error', () => undefined);
  // Only whether the stream reached its end is kept, not what it carried.
  let tail = '';
  let head = '';
  let completed = false;
  socket.on('data', (chunk: Buffer) => {
    if (head.length < 600) head += chunk.toString('latin1').slice(0, 600);
    const text = tail + chunk.toString('latin1');
    if (text.includes('event: turn.completed')) completed = true;
    tail = text.slice(-32);
  });
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.pause();
  const body = JSON.stringify({ input: largeInput });
  socket.write(
    `POST /v1/sessions/${sessionId}/turns HTTP/1.1\r\nHost: broker\r\nConnection: close\r\nAuthorization: Bearer ${appKey}\r\nX-End-User: ${user}\r\n` +
      `Accept: text/event-stream\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
  return {
    socket,
    async readToEnd() {
      socket.resume();
      await Promise.race([closed, sleep(30_000)]);
      return { completed, head };
    },
  };
}

function sampler(pid: number) {
  let peak = processMemoryMiB(pid);
  const timer = setInterval(() => {
    try {
      peak = Math.max(peak, processMemoryMiB(pid));
    } catch {
      clearInterval(timer); // the process is gone
    }
  }, 25);
  return { stop: () => (clearInterval(timer), peak) };
}

/**
 * `streams` clients each start a large streamed turn and never read it, on a
 * broker run as `npm start` runs it (512 MiB heap): resident memory before,
 * at peak and after, whether the broker survived, whether the turns were
 * recorded anyway, and how many clients were dropped (read at the end, they
 * never saw `turn.completed`) (issue 23 item 4).
 */
export async function benchStalledStreams(databaseUrl: string | undefined, streams: number, settings: Record<string, string> = {}): Promise<StalledStreamFigures> {
  const run = await brokerWithTenant(databaseUrl, settings);
  const pid = run.broker.child.pid!;
  try {
    // One turn read to the end, to know what a stalled client leaves behind.
    const probeUser = 'probe';
    const probe = (await run.as(probeUser).call('/v1/sessions', { agent: 'bench' })).json.id as string;
    const reading = await fetch(`${run.broker.url}/v1/sessions/${probe}/turns`, {
      method: 'POST',
      headers: { authorization: `Bearer ${run.appKey}`, 'x-end-user': probeUser, accept: 'text/event-stream', 'content-type': 'application/json' },
      body: JSON.stringify({ input: largeInput }),
    });
    const eventBytesPerTurn = Buffer.byteLength(await reading.text());

    const sessions: Array<{ id: string; user: string }> = [];
    for (let index = 0; index < streams; index++) {
      const user = `stalled-${index}`;
      const created = await run.as(user).call('/v1/sessions', { agent: 'bench' });
      if (created.status !== 201) throw new Error(`session create: ${created.status} ${JSON.stringify(created.json)}`);
      sessions.push({ id: created.json.id as string, user });
    }
    await sleep(2000);
    const rssBeforeMiB = processMemoryMiB(pid);
    const memory = sampler(pid);
    const started = performance.now();
    const clients = sessions.map((session) => stalledTurn(run.broker, session.id, run.appKey, session.user));
    // Until every turn is recorded, the broker dies, or five minutes pass.
    let turnsRecorded = 0;
    const deadline = Date.now() + 300_000;
    while (Date.now() < deadline && (await run.alive())) {
      turnsRecorded = 0;
      for (const session of sessions) {
        const view = await run.as(session.user).call(`/v1/sessions/${session.id}`);
        if (view.status === 200 && (view.json.usage?.turns as number) >= 1 && view.json.status !== 'active') turnsRecorded++;
      }
      if (turnsRecorded === sessions.length) break;
      await sleep(1000);
    }
    const seconds = Math.round((performance.now() - started) / 100) / 10;
    await sleep(1000);
    const brokerAlive = await run.alive();
    const rssPeakMiB = memory.stop();
    const rssAfterMiB = brokerAlive ? processMemoryMiB(pid) : 0;
    // The stalled clients read at last: a dropped one never sees its turn end.
    const ends = await Promise.all(clients.map((client) => client.readToEnd()));
    const dropped = ends.filter((end) => !end.completed).length;
    const statuses: Record<string, number> = {};
    for (const end of ends) {
      const status = /^HTTP\/1\.1 (\d+)/.exec(end.head)?.[1] ?? 'none';
      statuses[status] = (statuses[status] ?? 0) + 1;
    }
    const refused = ends.find((end) => !end.head.startsWith('HTTP/1.1 200'));
    if (refused) console.error(`a stalled turn was answered: ${refused.head.replace(/x{20,}/g, 'x…').slice(0, 400)}`);
    for (const client of clients) client.socket.destroy();
    return { settings, streams, statuses, eventBytesPerTurn, rssBeforeMiB, rssPeakMiB, rssAfterMiB, brokerAlive, dropped, turnsRecorded, seconds };
  } finally {
    await run.stop();
  }
}

/**
 * One user's session of `turns` turns of ~0.9 MB input (each stores the
 * input and a reply that echoes it and the turn before: ~2.7 MB a turn),
 * then one `GET …/events?limit=1000` on a 512 MiB broker: the page it
 * answers, its time, and the broker's memory (issue 23 item 5).
 */
export async function benchTranscriptGet(databaseUrl: string | undefined, turns: number, settings: Record<string, string> = {}): Promise<TranscriptGetFigures> {
  const run = await brokerWithTenant(databaseUrl, settings);
  const pid = run.broker.child.pid!;
  const user = run.as('reader');
  try {
    const sessionId = (await user.call('/v1/sessions', { agent: 'bench' })).json.id as string;
    const input = Array.from({ length: 5 }, () => ({ type: 'text', text: 'x'.repeat(180_000) }));
    for (let turn = 0; turn < turns; turn++) {
      const ran = await user.call(`/v1/sessions/${sessionId}/turns`, { input });
      if (ran.status !== 200) throw new Error(`turn ${turn}: ${ran.status} ${JSON.stringify(ran.json).slice(0, 300)}`);
    }
    await sleep(2000);
    const rssBeforeMiB = processMemoryMiB(pid);
    const memory = sampler(pid);
    const began = performance.now();
    const first = await fetch(`${run.broker.url}/v1/sessions/${sessionId}/events?limit=1000`, { headers: { authorization: `Bearer ${run.appKey}`, 'x-end-user': 'reader' } })
      .then(async (response) => ({ status: response.status, text: await response.text() }))
      .catch(() => ({ status: 'connection failed' as const, text: '' }));
    const firstPageMs = Math.round(performance.now() - began);
    await sleep(500);
    const rssPeakMiB = memory.stop();
    const brokerAlive = await run.alive();
    const page = first.status === 200 ? (JSON.parse(first.text) as { data: Array<{ seq: number }>; nextAfter: number | null }) : undefined;
    // The whole transcript, page by page (only when the broker survived the first).
    let events = 0;
    let bytes = 0;
    let pages = 0;
    if (brokerAlive) {
      for (let after: number | null = 0; after !== null; pages++) {
        const next = await user.call(`/v1/sessions/${sessionId}/events?after=${after}&limit=1000`);
        const data = next.json.data as Array<{ data: unknown }>;
        events += data.length;
        bytes += data.reduce((sum, event) => sum + Buffer.byteLength(JSON.stringify(event.data)), 0);
        after = next.json.nextAfter as number | null;
      }
    }
    return {
      settings,
      events,
      transcriptMiB: Math.round((bytes / 1024 ** 2) * 10) / 10,
      firstPageStatus: first.status,
      firstPageEvents: page?.data.length ?? 0,
      firstPageMiB: Math.round((Buffer.byteLength(first.text) / 1024 ** 2) * 10) / 10,
      firstPageMs,
      pagesToReadAll: pages,
      rssBeforeMiB,
      rssPeakMiB,
      brokerAlive,
    };
  } finally {
    await run.stop();
  }
}
