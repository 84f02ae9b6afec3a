import { newId } from '#libs/ids';
import { Database } from '#libs/persistence';
import { providerIds } from '#libs/runtime-spec';
import { AgentRepository } from '../agents/agent.repository.js';
import { ApiKeyRepository } from '../api-keys/api-key.repository.js';
import { appendAuditEvent } from '../audit/audit-log.js';
import { mintApiKeySecret, storedFormOf } from '../identity/api-key-secret.js';
import type { RuntimeRegistry } from '../runtimes/runtime-registry.js';
import { TenantRepository } from '../tenants/tenant.repository.js';

export interface DemoSeed {
  tenantId: string;
  appKey: string;
  adminKey: string;
  agentName: string;
  providers: string[];
}

/**
 * On a fresh embedded database: one demo tenant with an `app` and an `admin`
 * key, and an agent targeting every emulated runtime, so the README's
 * walkthrough works right after `npm start`. Returns the secrets once; only
 * hashes are stored. Does nothing when any tenant exists.
 */
export async function seedDemo(database: Database, runtimes: RuntimeRegistry): Promise<DemoSeed | undefined> {
  const targets = runtimes.demoTargets();
  const providers = providerIds.filter((id) => targets[id] !== undefined);
  if (providers.length === 0) return undefined;
  return database.inPlatform(async (tx) => {
    const tenants = new TenantRepository(tx);
    if ((await tenants.count()) > 0) return undefined;
    const tenant = await tenants.insert({ id: newId('ten'), name: 'demo' });
    await appendAuditEvent(tx, tenant.id, { type: 'tenant.created', actor: { kind: 'system', id: 'demo-seed' }, detail: { name: 'demo' } });
    const keys = new ApiKeyRepository(tx);
    const secrets: Record<'app' | 'admin', string> = { app: mintApiKeySecret(), admin: mintApiKeySecret() };
    for (const role of ['app', 'admin'] as const) {
      const key = await keys.insert({
        id: newId('key'),
        tenantId: tenant.id,
        name: `demo ${role}`,
        role,
        ...storedFormOf(secrets[role]),
        expiresAt: null,
      });
      await appendAuditEvent(tx, tenant.id, {
        type: 'credential.created',
        actor: { kind: 'system', id: 'demo-seed' },
        detail: { keyId: key.id, role, name: key.name },
      });
    }
    const agent = await new AgentRepository(tx).insert({
      id: newId('agt'),
      tenantId: tenant.id,
      name: 'demo-agent',
      description: 'A demo agent on every emulated runtime',
      instructions: 'Be helpful.',
      defaultProvider: providers[0],
      targets,
    });
    await appendAuditEvent(tx, tenant.id, {
      type: 'agent.changed',
      actor: { kind: 'system', id: 'demo-seed' },
      detail: { action: 'created', agentId: agent.id, name: agent.name },
    });
    return { tenantId: tenant.id, appKey: secrets.app, adminKey: secrets.admin, agentName: agent.name, providers };
  });
}
