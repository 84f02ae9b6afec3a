import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { newId } from '#libs/ids';
import { createTenantWithKeys, startTestBroker, type TestBroker } from '../support/test-broker.js';
import { asSuperuser } from '../support/superuser.js';

/**
 * The database enforces the tenant: these queries deliberately carry NO
 * tenant filter, and still only see the transaction's tenant.
 */
describe('row-level security', () => {
  let sb: TestBroker;
  let a: { tenantId: string };
  let b: { tenantId: string };

  before(async () => {
    sb = await startTestBroker();
    a = await createTenantWithKeys(sb, ['app', 'admin']);
    b = await createTenantWithKeys(sb, ['app', 'auditor']);
    // Rows in a second tenant-owned table for both tenants.
    for (const tenant of [a, b]) {
      await sb.broker.database.database.inTenant(tenant.tenantId, async (tx) => {
        const agentId = newId('agt');
        await tx.rows(`INSERT INTO agents (id, tenant_id, name, default_provider, targets) VALUES ($1, $2, 'agent', 'claude', '{}')`, [
          agentId,
          tenant.tenantId,
        ]);
        await tx.rows(
          `INSERT INTO sessions (id, tenant_id, user_id, agent_id, provider, status, idle_timeout_seconds, max_lifetime_seconds)
           VALUES ($1, $2, 'u-1', $3, 'claude', 'idle', 900, 28800)`,
          [newId('ses'), tenant.tenantId, agentId],
        );
      });
    }
  });
  after(() => sb.close());

  const database = () => sb.broker.database.database;

  test('an unfiltered query sees only the current tenant', async () => {
    for (const table of ['api_keys', 'agents', 'sessions', 'audit_events', 'tenants']) {
      const column = table === 'tenants' ? 'id' : 'tenant_id';
      const rows = await database().inTenant(a.tenantId, (tx) =>
        tx.rows<{ tenant: string }>(`SELECT DISTINCT ${column} AS tenant FROM ${table}`),
      );
      assert.deepEqual(
        rows.map((row) => row.tenant),
        [a.tenantId],
        `${table}: only tenant A`,
      );
    }
  });

  test('the transaction runs as a role RLS applies to', async () => {
    const [role] = await database().inTenant(a.tenantId, (tx) =>
      tx.rows(`SELECT current_user AS name, r.rolsuper AS super, r.rolbypassrls AS bypass FROM pg_roles r WHERE r.rolname = current_user`),
    );
    assert.deepEqual(role, { name: 'switchboard_app', super: false, bypass: false });
  });

  test('writing a row for another tenant is refused by the database', async () => {
    await assert.rejects(
      database().inTenant(a.tenantId, (tx) =>
        tx.rows(`INSERT INTO agents (id, tenant_id, name, default_provider, targets) VALUES ($1, $2, 'sneaky', 'claude', '{}')`, [
          newId('agt'),
          b.tenantId,
        ]),
      ),
      // 42501: insufficient_privilege (the policy's WITH CHECK), as pg reports it.
      (error: { code?: string }) => error.code === '42501',
    );
  });

  test("updates cannot reach another tenant's rows", async () => {
    const updated = await database().inTenant(a.tenantId, (tx) => tx.count(`UPDATE sessions SET metadata = '{"hacked":true}'`));
    assert.equal(updated, 1, 'only tenant A’s one session was updated');
    const [bSession] = await database().inTenant(b.tenantId, (tx) => tx.rows<{ metadata: unknown }>(`SELECT metadata FROM sessions`));
    assert.deepEqual(bSession.metadata, {});
  });

  test('without a tenant, nothing is visible', async () => {
    const rows = await asSuperuser(sb.broker.database.database, async (query) => {
      await query('SET LOCAL ROLE switchboard_app');
      return query('SELECT id FROM sessions');
    });
    assert.equal(rows.length, 0);
  });

  test('the request role cannot change or delete audit rows', async () => {
    await assert.rejects(database().inTenant(a.tenantId, (tx) => tx.rows(`DELETE FROM audit_events`)));
    await assert.rejects(database().inTenant(a.tenantId, (tx) => tx.rows(`UPDATE audit_events SET type = 'x'`)));
  });
});
