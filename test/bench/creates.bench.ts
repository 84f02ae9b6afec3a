import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import { spawnBroker, type BrokerProcess } from '../support/broker-process.js';
import { grantClaudeTarget, liveClaudeBrokerEnv, startClaudeEmulatorProcess } from './live-claude-broker.js';
import { localPostgresCpuMs, percentile, processCpuMs, runConcurrently } from './stats.js';

export interface CreateFigures {
  replicas: number;
  clients: number;
  creates: number;
  createsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  limited: number;
  /** CPU per create while they ran (ms): every replica together, PostgreSQL, the emulated provider, and this bench's clients. */
  cpuMsPerCreate: { brokers: number; postgres: number; emulator: number; clients: number };
  /** The CPUs they all shared: creates/s can be at most cpus × 1000 / (the CPU per create, summed). */
  cpus: number;
}

/**
 * Session creates per second on PostgreSQL with limit enforcement and audit
 * on: `replicas` broker processes, `clients` concurrent clients spread over
 * them, each create checked against a per-user and a tenant limit (high
 * enough to admit every create: the cost measured is enforcement, not
 * refusal), audited, and provisioned at the emulated Claude runtime.
 *
 * The emulator runs in a process of its own that every replica calls, as
 * replicas share one cloud: its CPU is reported beside the brokers' and
 * PostgreSQL's, not hidden in the broker's event loop.
 */
export async function benchCreates(databaseUrl: string | undefined, replicas = 2, clients = 64, creates = 2000): Promise<CreateFigures | undefined> {
  if (!databaseUrl) return undefined;
  const operatorKey = `bench-operator-${randomBytes(12).toString('hex')}`;
  const brokers: BrokerProcess[] = [];
  // One data directory for every replica: the development audit key in it must be the same for all.
  const dataDir = mkdtempSync(path.join(tmpdir(), 'switchboard-bench-creates-'));
  const emulator = await startClaudeEmulatorProcess();
  try {
    for (let index = 0; index < replicas; index++) {
      brokers.push(
        await spawnBroker(
          { ...liveClaudeBrokerEnv({ emulatorUrl: emulator.url, databaseUrl, dataDir, operatorKey }), DATABASE_POOL_SIZE: '20' },
          undefined,
          // BENCH_BROKER_NODE_FLAGS (e.g. `--cpu-prof --cpu-prof-dir=…`) goes to every replica.
          (process.env.BENCH_BROKER_NODE_FLAGS ?? '').split(' ').filter(Boolean),
        ),
      );
    }
    const call = async (broker: BrokerProcess, path: string, key: string, body?: unknown, headers: Record<string, string> = {}) => {
      const response = await fetch(`${broker.url}${path}`, {
        method: body === undefined ? 'GET' : path.endsWith('/limits') ? 'PUT' : 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...headers },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: response.status, json: (await response.json()) as Record<string, string> };
    };
    const tenant = (await call(brokers[0], '/v1/tenants', operatorKey, { name: `creates-${randomBytes(4).toString('hex')}` })).json.id;
    const admin = (await call(brokers[0], `/v1/tenants/${tenant}/api-keys`, operatorKey, { role: 'admin', name: 'a' })).json.key;
    const app = (await call(brokers[0], `/v1/tenants/${tenant}/api-keys`, operatorKey, { role: 'app', name: 'b' })).json.key;
    await grantClaudeTarget(brokers[0].url, operatorKey, tenant, emulator.target);
    await call(brokers[0], '/v1/agents', admin, { name: 'bench', defaultProvider: 'claude', targets: { claude: emulator.target } });
    await call(brokers[0], '/v1/limits', admin, { maxActiveSessionsPerUser: 1_000_000, maxActiveSessionsPerTenant: 1_000_000, sessionCreatesPerMinutePerUser: 1_000_000 });
    const perClient = Math.ceil(creates / clients);
    const cpuNow = () => ({
      brokers: brokers.reduce((sum, broker) => sum + processCpuMs(broker.child.pid!), 0),
      postgres: localPostgresCpuMs(),
      emulator: processCpuMs(emulator.child.pid!),
      clients: processCpuMs(process.pid),
    });
    const cpuBefore = cpuNow();
    const started = performance.now();
    const results = await runConcurrently(clients, perClient, async (client) => {
      const began = performance.now();
      const response = await call(brokers[client % replicas], '/v1/sessions', app, { agent: 'bench' }, { 'x-end-user': `user-${client}` });
      return { ms: performance.now() - began, status: response.status };
    });
    const seconds = (performance.now() - started) / 1000;
    const cpuAfter = cpuNow();
    const perCreate = (part: keyof typeof cpuBefore) => Math.round(((cpuAfter[part] - cpuBefore[part]) / results.length) * 100) / 100;
    return {
      replicas,
      clients,
      creates: results.length,
      createsPerSecond: Math.round(results.filter((result) => result.status === 201).length / seconds),
      p50Ms: percentile(results.map((result) => result.ms), 50),
      p99Ms: percentile(results.map((result) => result.ms), 99),
      limited: results.filter((result) => result.status === 429).length,
      cpuMsPerCreate: { brokers: perCreate('brokers'), postgres: perCreate('postgres'), emulator: perCreate('emulator'), clients: perCreate('clients') },
      cpus: availableParallelism(),
    };
  } finally {
    for (const broker of brokers) broker.child.kill('SIGTERM');
    await Promise.all(brokers.map((broker) => broker.exited));
    await emulator.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
