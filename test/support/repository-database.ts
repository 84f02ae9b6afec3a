import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Database } from '#libs/persistence';
import { newId } from '#libs/ids';
import { prepareAuditIntegrity } from '../../apps/broker/src/audit/audit-integrity.js';
import { openDatabase } from '../../apps/broker/src/database/open-database.js';
import { loadBrokerConfig } from '../../apps/broker/src/runtimes/broker-config.js';
import { AgentRepository } from '../../apps/broker/src/agents/agent.repository.js';
import { SessionRepository } from '../../apps/broker/src/sessions/session.repository.js';
import { TenantRepository } from '../../apps/broker/src/tenants/tenant.repository.js';

/**
 * The repository test tier's database: the real one the suite runs on
 * (embedded in a temporary folder, or DATABASE_URL), migrated, with the
 * audit keyring bound, and no broker, HTTP or runtime around it.
 */
export async function openRepositoryDatabase(): Promise<{
  database: Database;
  newTenant(): Promise<string>;
  /** A new tenant with one Claude agent and one ready session of `userId` (recorded, its provider session known). */
  readySession(userId?: string): Promise<{ tenantId: string; sessionId: string }>;
  close(): Promise<void>;
}> {
  const dataDir = process.env.DATABASE_URL ? undefined : mkdtempSync(path.join(tmpdir(), 'switchboard-repo-'));
  const config = loadBrokerConfig({
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    ...(process.env.DATABASE_URL ? { DATABASE_URL: process.env.DATABASE_URL } : { SWITCHBOARD_DATA_DIR: dataDir! }),
  });
  const opened = await openDatabase(config);
  await prepareAuditIntegrity(config, opened);
  const newTenant = async () => {
    const id = newId('ten');
    await opened.database.inPlatform((tx) => new TenantRepository(tx).insert({ id, name: `repo-${id}` }));
    return id;
  };
  return {
    database: opened.database,
    newTenant,
    async readySession(userId = 'alice') {
      const tenantId = await newTenant();
      const sessionId = newId('ses');
      await opened.database.inTenant(tenantId, async (tx) => {
        const agentId = newId('agt');
        await new AgentRepository(tx).insert({ id: agentId, tenantId, name: `agent-${agentId}`, description: null, instructions: null, defaultProvider: 'claude', targets: { claude: {} } });
        const sessions = new SessionRepository(tx);
        await sessions.insertProvisioning({ id: sessionId, tenantId, userId, agentId, provider: 'claude', target: {}, metadata: {}, idleTimeoutSeconds: 900, maxLifetimeSeconds: 28800 });
        await sessions.markReady(sessionId, `ps_${sessionId}`, {});
      });
      return { tenantId, sessionId };
    },
    async close() {
      await opened.close();
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
