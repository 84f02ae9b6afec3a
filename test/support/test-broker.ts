import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { startBroker, type RunningBroker } from '../../apps/broker/src/broker.js';
import { loadBrokerConfig } from '../../apps/broker/src/runtimes/broker-config.js';
import { HttpClient } from './http-client.js';
import { generousPlatformLimits } from './platform-limits.js';

export interface TestBroker {
  broker: RunningBroker;
  url: string;
  operatorKey: string;
  /** Requests as the platform operator. */
  operator: HttpClient;
  /** Requests with no credential. */
  anonymous: HttpClient;
  as(token: string, headers?: Record<string, string>): HttpClient;
  close(): Promise<void>;
}

/**
 * A real broker on a loopback port. It uses the PostgreSQL in DATABASE_URL when
 * the suite runs against PostgreSQL, else a fresh embedded database in a temp
 * folder (removed on close). Every test makes its own tenants, so test files
 * sharing one PostgreSQL database never see each other's rows.
 */
export async function startTestBroker(env: Record<string, string> = {}): Promise<TestBroker> {
  const operatorKey = `sbk_test_operator_${randomBytes(16).toString('hex')}`;
  const dataDir = process.env.DATABASE_URL ? undefined : mkdtempSync(path.join(tmpdir(), 'switchboard-test-'));
  const config = loadBrokerConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    SWITCHBOARD_SEED_DEMO: 'off',
    SWITCHBOARD_ADMIN_KEY: operatorKey,
    ...generousPlatformLimits,
    ...(process.env.DATABASE_URL ? { DATABASE_URL: process.env.DATABASE_URL, DATABASE_POOL_SIZE: process.env.DATABASE_POOL_SIZE ?? '10' } : { SWITCHBOARD_DATA_DIR: dataDir! }),
    ...env,
  });
  const broker = await startBroker(config);
  return {
    broker,
    url: broker.url,
    operatorKey,
    operator: new HttpClient(broker.url, { authorization: `Bearer ${operatorKey}` }),
    anonymous: new HttpClient(broker.url, {}),
    as: (token, headers = {}) => new HttpClient(broker.url, { authorization: `Bearer ${token}`, ...headers }),
    async close() {
      await broker.close();
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export const uniqueName = (prefix: string) => `${prefix}-${randomBytes(5).toString('hex')}`;

/** A fresh tenant with one key per requested role. */
export async function createTenantWithKeys<R extends 'app' | 'auditor' | 'finance' | 'admin'>(
  test: TestBroker,
  roles: R[],
): Promise<{ tenantId: string; name: string; keys: Record<R, { id: string; key: string }> }> {
  const name = uniqueName('tenant');
  const tenant = await test.operator.post('/v1/tenants', { name });
  if (tenant.status !== 201) throw new Error(`could not create a tenant: ${tenant.status} ${tenant.text}`);
  const tenantId = tenant.json.id as string;
  const keys = {} as Record<R, { id: string; key: string }>;
  for (const role of roles) {
    const created = await test.operator.post(`/v1/tenants/${tenantId}/api-keys`, { role, name: `${role} key` });
    if (created.status !== 201) throw new Error(`could not create a key: ${created.status} ${created.text}`);
    keys[role] = { id: created.json.id as string, key: created.json.key as string };
  }
  return { tenantId, name, keys };
}
