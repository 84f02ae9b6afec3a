import { randomBytes } from 'node:crypto';
import { spawnBroker, type BrokerProcess } from '../support/broker-process.js';
import { percentile, runConcurrently } from './stats.js';

export interface CreateFigures {
  replicas: number;
  clients: number;
  creates: number;
  createsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  limited: number;
}

/**
 * Session creates per second on PostgreSQL with limit enforcement and audit
 * on: `replicas` broker processes, `clients` concurrent clients spread over
 * them, each create checked against a per-user and a tenant limit (high
 * enough to admit every create: the cost measured is enforcement, not
 * refusal), audited, and provisioned at the emulated Claude runtime.
 */
export async function benchCreates(databaseUrl: string | undefined, replicas = 2, clients = 64, creates = 2000): Promise<CreateFigures | undefined> {
  if (!databaseUrl) return undefined;
  const operatorKey = `bench-operator-${randomBytes(12).toString('hex')}`;
  const brokers: BrokerProcess[] = [];
  try {
    for (let index = 0; index < replicas; index++) {
      brokers.push(
        await spawnBroker(
          { DATABASE_URL: databaseUrl, SWITCHBOARD_ADMIN_KEY: operatorKey, LOG_LEVEL: 'info', DATABASE_POOL_SIZE: '20' },
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
    await call(brokers[0], '/v1/agents', admin, {
      name: 'bench',
      defaultProvider: 'claude',
      targets: { claude: { agentId: 'agent_011CSwitchboardDemoAgent', environmentId: 'env_011CSwitchboardDemoEnvironment' } },
    });
    await call(brokers[0], '/v1/limits', admin, { maxActiveSessionsPerUser: 1_000_000, maxActiveSessionsPerTenant: 1_000_000, sessionCreatesPerMinutePerUser: 1_000_000 });
    const perClient = Math.ceil(creates / clients);
    const started = performance.now();
    const results = await runConcurrently(clients, perClient, async (client) => {
      const began = performance.now();
      const response = await call(brokers[client % replicas], '/v1/sessions', app, { agent: 'bench' }, { 'x-end-user': `user-${client}` });
      return { ms: performance.now() - began, status: response.status };
    });
    const seconds = (performance.now() - started) / 1000;
    return {
      replicas,
      clients,
      creates: results.length,
      createsPerSecond: Math.round(results.filter((result) => result.status === 201).length / seconds),
      p50Ms: percentile(results.map((result) => result.ms), 50),
      p99Ms: percentile(results.map((result) => result.ms), 99),
      limited: results.filter((result) => result.status === 429).length,
    };
  } finally {
    for (const broker of brokers) broker.child.kill('SIGTERM');
    await Promise.all(brokers.map((broker) => broker.exited));
  }
}
