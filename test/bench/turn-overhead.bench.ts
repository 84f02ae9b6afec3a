import type { ConformanceFixture, DirectSession, EmulatorAddress } from '#libs/provider-kit';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { get } from 'node:https';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { spawnBroker } from '../support/broker-process.js';
import { HttpClient } from '../support/http-client.js';
import { prometheusSample } from '../support/prometheus.js';
import { uniqueName } from '../support/test-broker.js';
import { spawnFloorProxy } from './floor-proxy.js';
import { jitteredPause, localPostgresCpuMs, percentile, processCpuMs, runConcurrently } from './stats.js';

/**
 * How turns are offered: `concurrency` sessions at once, each sending its
 * next turn as soon as the last ended (`pauseMs` 0: a saturating load, whose
 * latency is queueing on the machine's cores), or after a pause of
 * `pauseMs` on average (a load the machine can carry, as 64 live sessions
 * whose users or agents take a moment between turns would offer).
 */
export interface TurnLoad {
  concurrency: number;
  pauseMs: number;
  turns: number;
}

export interface OverheadFigures {
  provider: string;
  /** Where the broker ran the emulator: on its own event loop, or on a worker thread. */
  emulatorPlacement: string;
  concurrency: number;
  /** Mean pause between one turn's end and the session's next turn (0: back to back). */
  pauseMs: number;
  turns: number;
  /** Whole turn, client side: request sent → last event received. */
  brokerP50Ms: number;
  brokerP99Ms: number;
  directP50Ms: number;
  directP99Ms: number;
  /** The same SDK call through a minimal pass-through proxy with no database (floor-proxy.ts): the price of any hop. */
  floorP50Ms: number;
  floorP99Ms: number;
  /** CPU of the floor proxy's process per turn. */
  floorCpuMsPerTurn: number;
  overheadP50Ms: number;
  overheadP99Ms: number;
  /** Request sent → first agent event (a delta or message) received. */
  brokerFirstEventP50Ms: number;
  directFirstEventP50Ms: number;
  /**
   * CPU time of the broker process (all its threads) per turn: in the
   * brokered run (broker plus its emulator) and in the direct run (the
   * emulator alone).
   * The difference is what one turn costs the broker itself; at high
   * concurrency on few cores, that is what queueing multiplies.
   */
  brokerProcessCpuMsPerTurn: number;
  emulatorCpuMsPerTurn: number;
  /** CPU of the local PostgreSQL per brokered turn (null on the embedded database, which runs inside the broker). */
  postgresCpuMsPerTurn: number | null;
  /** CPU of this bench process per direct turn: what the provider's SDK costs its caller (issue 17 item 4's yardstick). */
  directClientCpuMsPerTurn: number;
  /** Turns per second over the whole run, direct and brokered (saturated rows: the throughput each path sustains). */
  directTurnsPerSecond: number;
  brokerTurnsPerSecond: number;
  /** The broker's own mean time per turn before and after the provider's part (its `switchboard_turn_broker_seconds`). */
  brokerClaimMeanMs: number | null;
  brokerRecordMeanMs: number | null;
}

/** Sum and count of the broker's `switchboard_turn_broker_seconds` for one provider and phase, from its /metrics. */
async function brokerWork(url: string, provider: string): Promise<Record<'claim' | 'record', { sum: number; count: number }>> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const value = (suffix: string, phase: string) => prometheusSample(text, `switchboard_turn_broker_seconds_${suffix}`, { provider, phase }) ?? 0;
  return {
    claim: { sum: value('sum', 'claim'), count: value('count', 'claim') },
    record: { sum: value('sum', 'record'), count: value('count', 'record') },
  };
}

const meanMs = (before: { sum: number; count: number }, after: { sum: number; count: number }) =>
  after.count > before.count ? Math.round(((after.sum - before.sum) / (after.count - before.count)) * 1000 * 100) / 100 : null;

interface Timed {
  totalMs: number;
  firstEventMs: number;
}

/** One streamed turn through the broker, timed from the client. */
async function brokerTurn(url: string, headers: Record<string, string>, sessionId: string, input: string): Promise<Timed> {
  const started = performance.now();
  const response = await fetch(`${url}/v1/sessions/${sessionId}/turns`, {
    method: 'POST',
    headers: { ...headers, accept: 'text/event-stream', 'content-type': 'application/json' },
    body: JSON.stringify({ input }),
  });
  if (response.status !== 200 || !response.body) throw new Error(`turn answered ${response.status}: ${await response.text()}`);
  let firstEventMs = -1;
  let buffered = '';
  const decoder = new TextDecoder();
  for await (const chunk of response.body) {
    buffered += decoder.decode(chunk as Uint8Array, { stream: true });
    if (firstEventMs < 0 && /event: message\.(delta|completed)/.test(buffered)) firstEventMs = performance.now() - started;
    if (buffered.includes('event: turn.completed') || buffered.includes('event: turn.failed')) {
      if (buffered.includes('event: turn.failed')) throw new Error(`turn failed: ${buffered.slice(-400)}`);
    }
  }
  return { totalMs: performance.now() - started, firstEventMs };
}

/** How many tenants the sessions of a load are spread over (BENCH_TURN_TENANTS; 1 by default). */
const turnTenants = Math.max(1, Number(process.env.BENCH_TURN_TENANTS ?? 1));

/** Where the broker under test runs its emulators (BENCH_EMULATOR_PLACEMENT=in-process to compare). */
const emulatorPlacement = process.env.BENCH_EMULATOR_PLACEMENT ?? 'thread';

/**
 * Broker overhead per turn: the same turn through the broker (HTTP + SSE,
 * auth, database claim, limits, audit, event persistence, metering) and
 * straight from the provider's SDK to the same emulator, at each load. The
 * broker runs in its own process, as deployed; its emulated runtimes run in
 * that process (each on a worker thread of its own, by default), and this
 * process (the client) reaches them directly for the baseline, so both
 * paths pay the same emulator and client costs and the difference is the
 * broker's.
 */
export async function benchTurnOverhead(
  fixtures: ConformanceFixture[],
  loads: TurnLoad[],
  databaseUrl: string | undefined,
): Promise<OverheadFigures[]> {
  const results: OverheadFigures[] = [];
  for (const fixture of fixtures) {
    const dataDir = databaseUrl ? undefined : mkdtempSync(path.join(tmpdir(), 'switchboard-bench-'));
    const proxies: ChildProcess[] = [];
    const operatorKey = `bench-operator-${randomBytes(12).toString('hex')}`;
    const broker = await spawnBroker({
      SWITCHBOARD_ADMIN_KEY: operatorKey,
      SWITCHBOARD_SEED_DEMO: 'off',
      // A provider's work is not on the broker's event loop in production: nor is the emulator's here.
      SWITCHBOARD_EMULATOR_PLACEMENT: emulatorPlacement,
      // The shipped ceilings on turns in flight, so a turn pays the tenant's count as in production (64 in flight fit under 200).
      LIMIT_CEILING_OPEN_STREAMS_PER_TENANT: '',
      LIMIT_MAX_OPEN_STREAMS_PER_REPLICA: '',
      ...(databaseUrl ? { DATABASE_URL: databaseUrl, DATABASE_POOL_SIZE: '20' } : { SWITCHBOARD_DATA_DIR: dataDir! }),
      ...fixture.env,
    }, undefined, (process.env.BENCH_BROKER_NODE_FLAGS ?? '').split(' ').filter(Boolean));
    try {
      const emulatorUrl = new RegExp(`"provider":"${fixture.provider}"[^\\n]*?"url":"([^"]+)"`).exec(broker.output())?.[1];
      if (!emulatorUrl) throw new Error(`the broker did not report an emulated ${fixture.provider} runtime`);
      const address = await emulatorAddress(emulatorUrl);
      const floor = await spawnFloorProxy(emulatorUrl);
      proxies.push(floor.child);
      const floorAddress: EmulatorAddress = { ...address, url: floor.url, ...floor.address };
      const operator = new HttpClient(broker.url, { authorization: `Bearer ${operatorKey}` });
      const target = fixture.benchTarget;
      // Every session in one tenant (the default: one customer's users), or spread over BENCH_TURN_TENANTS tenants:
      // a tenant's audited writes serialise on its audit chain head, so the two say what that lock costs under load.
      const tenants = await Promise.all(
        Array.from({ length: turnTenants }, async () => {
          const tenantId = (await operator.post('/v1/tenants', { name: uniqueName('bench') })).json.id as string;
          const [appKey, adminKey] = await Promise.all(['app', 'admin'].map(async (role) => (await operator.post(`/v1/tenants/${tenantId}/api-keys`, { role, name: role })).json.key as string));
          const agentName = uniqueName('bench');
          await new HttpClient(broker.url, { authorization: `Bearer ${adminKey}` }).post('/v1/agents', { name: agentName, defaultProvider: fixture.provider, targets: { [fixture.provider]: target } });
          return { appKey, agentName };
        }),
      );
      for (const { concurrency, pauseMs, turns } of loads) {
        const perWorker = Math.max(1, Math.ceil(turns / concurrency));
        const pause = pauseMs > 0 ? jitteredPause(pauseMs) : undefined;
        const tenantOf = (worker: number) => tenants[worker % tenants.length];
        const headers = (worker: number) => ({ authorization: `Bearer ${tenantOf(worker).appKey}`, 'x-end-user': `bench-user-${worker}` });
        const sessions = await Promise.all(
          Array.from({ length: concurrency }, async (_, worker) => {
            const created = await new HttpClient(broker.url, headers(worker)).post('/v1/sessions', { agent: tenantOf(worker).agentName });
            if (created.status !== 201) throw new Error(`create answered ${created.status}: ${created.text}`);
            return created.json.id as string;
          }),
        );
        const directs: DirectSession[] = await Promise.all(Array.from({ length: concurrency }, () => fixture.direct(address, target)));
        const floors: DirectSession[] = await Promise.all(Array.from({ length: concurrency }, () => fixture.direct(floorAddress, target)));
        // Warm up both paths (JIT, connection pools, prepared plans).
        await runConcurrently(concurrency, 3, (worker, index) => brokerTurn(broker.url, headers(worker), sessions[worker], `warm ${index}`));
        await runConcurrently(concurrency, 3, (worker, index) => directs[worker].turn(`warm ${index}`));
        await runConcurrently(concurrency, 3, (worker, index) => floors[worker].turn(`warm ${index}`));
        const pid = broker.child.pid!;
        const timedTurn = (session: DirectSession, input: string) => async () => {
          const started = performance.now();
          const { firstEventMs } = await session.turn(input);
          return { totalMs: performance.now() - started, firstEventMs };
        };
        const cpuBeforeDirect = processCpuMs(pid);
        const clientCpuBefore = process.cpuUsage();
        const directStarted = performance.now();
        const direct = await runConcurrently(concurrency, perWorker, (worker, index) => timedTurn(directs[worker], `question ${index}`)(), pause);
        const directWallMs = performance.now() - directStarted;
        const clientCpu = process.cpuUsage(clientCpuBefore);
        const cpuBeforeFloor = processCpuMs(pid);
        const floorCpuBefore = processCpuMs(floor.child.pid!);
        const floored = await runConcurrently(concurrency, perWorker, (worker, index) => timedTurn(floors[worker], `question ${index}`)(), pause);
        const floorCpuMs = processCpuMs(floor.child.pid!) - floorCpuBefore;
        const cpuBeforeBrokered = processCpuMs(pid);
        const postgresBefore = databaseUrl ? localPostgresCpuMs() : 0;
        const workBefore = await brokerWork(broker.url, fixture.provider);
        const brokeredStarted = performance.now();
        const brokered = await runConcurrently(concurrency, perWorker, (worker, index) => brokerTurn(broker.url, headers(worker), sessions[worker], `question ${index}`), pause);
        const brokeredWallMs = performance.now() - brokeredStarted;
        const cpuAfterBrokered = processCpuMs(pid);
        const postgresAfter = databaseUrl ? localPostgresCpuMs() : 0;
        const workAfter = await brokerWork(broker.url, fixture.provider);
        await Promise.all([...directs, ...floors].map((session) => session.close()));
        const p = (values: Timed[], key: keyof Timed, q: number) => percentile(values.map((value) => value[key]), q);
        results.push({
          provider: fixture.provider,
          emulatorPlacement,
          concurrency,
          pauseMs,
          turns: brokered.length,
          brokerP50Ms: p(brokered, 'totalMs', 50),
          brokerP99Ms: p(brokered, 'totalMs', 99),
          directP50Ms: p(direct, 'totalMs', 50),
          directP99Ms: p(direct, 'totalMs', 99),
          floorP50Ms: p(floored, 'totalMs', 50),
          floorP99Ms: p(floored, 'totalMs', 99),
          floorCpuMsPerTurn: Math.round((floorCpuMs / floored.length) * 100) / 100,
          overheadP50Ms: Math.round((p(brokered, 'totalMs', 50) - p(direct, 'totalMs', 50)) * 100) / 100,
          overheadP99Ms: Math.round((p(brokered, 'totalMs', 99) - p(direct, 'totalMs', 99)) * 100) / 100,
          brokerFirstEventP50Ms: p(brokered, 'firstEventMs', 50),
          directFirstEventP50Ms: p(direct, 'firstEventMs', 50),
          brokerProcessCpuMsPerTurn: Math.round(((cpuAfterBrokered - cpuBeforeBrokered) / brokered.length) * 100) / 100,
          emulatorCpuMsPerTurn: Math.round(((cpuBeforeFloor - cpuBeforeDirect) / direct.length) * 100) / 100,
          postgresCpuMsPerTurn: databaseUrl ? Math.round(((postgresAfter - postgresBefore) / brokered.length) * 100) / 100 : null,
          directClientCpuMsPerTurn: Math.round(((clientCpu.user + clientCpu.system) / 1000 / direct.length) * 100) / 100,
          directTurnsPerSecond: Math.round((direct.length / (directWallMs / 1000)) * 10) / 10,
          brokerTurnsPerSecond: Math.round((brokered.length / (brokeredWallMs / 1000)) * 10) / 10,
          brokerClaimMeanMs: meanMs(workBefore.claim, workAfter.claim),
          brokerRecordMeanMs: meanMs(workBefore.record, workAfter.record),
        });
      }
    } finally {
      for (const proxy of proxies) proxy.kill('SIGTERM');
      broker.child.kill('SIGTERM');
      await broker.exited;
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    }
  }
  return results;
}

/**
 * An emulator's address from the URL the broker logged. An HTTPS emulator
 * (Foundry) serves its own CA at /_emulator/ca.pem; fetching that one file
 * is the only request made without verifying the certificate, since it is
 * what verification then uses.
 */
async function emulatorAddress(url: string): Promise<EmulatorAddress> {
  const parsed = new URL(url);
  const address: EmulatorAddress = { url, host: parsed.hostname, port: Number(parsed.port) };
  if (parsed.protocol !== 'https:') return address;
  address.caCertificate = await new Promise<string>((resolve, reject) => {
    get(`${url}/_emulator/ca.pem`, { rejectUnauthorized: false }, (response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString()));
      response.on('end', () => resolve(body));
    }).on('error', reject);
  });
  return address;
}
