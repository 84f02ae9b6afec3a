import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { AuditVerification } from '../../apps/broker/src/audit/audit-verification.js';
import { DatabaseAttacker } from '../support/database-attacker.js';
import { dedicatedDatabase } from '../support/dedicated-database.js';
import { prometheusSample } from '../support/prometheus.js';
import { createTenantWithKeys, startTestBroker, type TestBroker } from '../support/test-broker.js';

/** A scraped sample of an unlabelled metric. */
function sample(text: string, name: string): number | undefined {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${name} `));
  return line === undefined ? prometheusSample(text, name, {}) : Number(line.split(' ').at(-1));
}

/**
 * The reaper leader's periodic audit verification and its gauges (the
 * "failed audit verification" alert reads them). Its own database on
 * PostgreSQL: other suites tamper with their tenants' chains on purpose.
 */
describe('periodic audit chain verification', () => {
  let sb: TestBroker;
  let drop: (() => Promise<void>) | undefined;

  before(async () => {
    const dedicated = process.env.DATABASE_URL ? await dedicatedDatabase(process.env.DATABASE_URL) : undefined;
    drop = dedicated?.drop;
    sb = await startTestBroker({ SWITCHBOARD_AUDIT_VERIFY_INTERVAL_SECONDS: '1', ...(dedicated ? { DATABASE_URL: dedicated.url } : {}) });
  });
  after(async () => {
    await sb?.close();
    await drop?.();
  });

  const scrape = async () => (await sb.anonymous.get('/metrics')).text;

  test('the reaper leader verifies every chain and exports the verdict; a rewritten event turns it to 0', async () => {
    const { tenantId } = await createTenantWithKeys(sb, ['admin']);
    // The leader's own sweep (every 3 s, verification at most once a second here) checks the new chain and publishes a verdict.
    const verifiedByReaper = (text: string) => (prometheusSample(text, 'switchboard_reaper_actions_total', { step: 'audit_verification' }) ?? 0) >= 1;
    const deadline = Date.now() + 30_000;
    let text = await scrape();
    while (!verifiedByReaper(text) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      text = await scrape();
    }
    assert.ok(verifiedByReaper(text), 'the reaper ran the verification');
    assert.ok((sample(text, 'switchboard_audit_verification_last_check_timestamp_seconds') ?? 0) > 0);
    const verification = sb.broker.app.get(AuditVerification);
    assert.ok((await verification.verifyAll()) >= 1);
    text = await scrape();
    assert.equal(sample(text, 'switchboard_audit_chain_verified'), 1);
    assert.equal(sample(text, 'switchboard_audit_chains_failed'), 0);

    await new DatabaseAttacker(sb.broker.database.database).rewriteFrom(tenantId, 2, (event) => (event.detail = { ...event.detail, name: 'forged' }));
    const checkedBefore = sample(text, 'switchboard_audit_verification_last_check_timestamp_seconds')!;
    await verification.verifyAll();
    text = await scrape();
    assert.equal(sample(text, 'switchboard_audit_chain_verified'), 0);
    assert.equal(sample(text, 'switchboard_audit_chains_failed'), 1);
    assert.ok(sample(text, 'switchboard_audit_verification_last_check_timestamp_seconds')! >= checkedBefore);
  });
});
