import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import Anthropic from '@anthropic-ai/sdk';
import { createTenantWithKeys, startTestBroker, uniqueName, type TestBroker } from '../support/test-broker.js';
import type { HttpClient } from '../support/http-client.js';
import { brokerClaims, describeFocusReport, parseFocusCsv, parseFocusJsonl, textRow, toFixed30, validateFocus, type FocusRow } from '../data/focus-validator.js';

/**
 * A scripted day on every registered runtime, checked against a hand
 * computation: the summary, every export row, every format.
 *
 * Where the numbers come from, and why they are known:
 * - tokens: each emulator's deterministic agent (word counts);
 * - Claude's active seconds: provider-reported from the Claude emulator's
 *   clock, which spends exactly 400 ms + 10 ms per output token (+ 250 ms
 *   for a tool run) per model call, plus the real milliseconds the
 *   in-process stream takes: the test checks the reported figure lies in
 *   [planned, planned + the turn's wall time] and prices exactly that figure;
 * - the compute runtimes' vCPU/GiB-seconds: the adapters' estimates (the
 *   target's size × the turn's time), read from the turn rows the adapters'
 *   usage was stored in — inputs to the hand computation, not outputs of
 *   the metering under test.
 * Prices: the operator sets round test prices (1 cent a second, a cent a
 * token) so every amount is visible in cents; the hand computation follows
 * the documented rule (hours = seconds / 3600 rounded half-up to 12
 * decimals; cost = that × unit price, exact) with its own bigint arithmetic,
 * and compares exactly (so certainly to the cent).
 */

const testPrices = (provider: string) =>
  provider === 'claude'
    ? { 'session-hour': '36', 'input-mtok': '10000', 'output-mtok': '20000', 'cache-read-mtok': '1000', 'cache-write-5m-mtok': '12500', 'cache-write-1h-mtok': '20000' }
    : { 'vcpu-hour': '36', 'gib-hour': '3.6', 'input-mtok': '1000', 'output-mtok': '2000' };
const allProviders = ['claude', 'agentcore', 'foundry', 'vertex'];
type QuantityColumn = 'active' | 'vcpu' | 'gib' | 'input' | 'output' | 'cacheRead' | 'cacheWrite5m' | 'cacheWrite1h';
const units: Record<string, { divisor: bigint; column: QuantityColumn }> = {
  'session-hour': { divisor: 3600n, column: 'active' },
  'vcpu-hour': { divisor: 3600n, column: 'vcpu' },
  'gib-hour': { divisor: 3600n, column: 'gib' },
  'input-mtok': { divisor: 1_000_000n, column: 'input' },
  'output-mtok': { divisor: 1_000_000n, column: 'output' },
  'cache-read-mtok': { divisor: 1_000_000n, column: 'cacheRead' },
  'cache-write-5m-mtok': { divisor: 1_000_000n, column: 'cacheWrite5m' },
  'cache-write-1h-mtok': { divisor: 1_000_000n, column: 'cacheWrite1h' },
};

/** FOCUS SkuMeter, ConsumedUnit and PricingUnit per charge type: cache reads and writes are meters of their own, not input tokens. */
const focusUnits: Record<string, [string, string, string]> = {
  'session-hour': ['Session Hours', 'Seconds', 'Hours'],
  'vcpu-hour': ['vCPU Hours', 'vCPU-Seconds', 'vCPU-Hours'],
  'gib-hour': ['Memory GiB Hours', 'GiB-Seconds', 'GiB-Hours'],
  'input-mtok': ['Input Tokens', 'Tokens', '1000000 Tokens'],
  'output-mtok': ['Output Tokens', 'Tokens', '1000000 Tokens'],
  'cache-read-mtok': ['Cache Read Input Tokens', 'Tokens', '1000000 Tokens'],
  'cache-write-5m-mtok': ['Cache Write Input Tokens 5 Minutes', 'Tokens', '1000000 Tokens'],
  'cache-write-1h-mtok': ['Cache Write Input Tokens 1 Hour', 'Tokens', '1000000 Tokens'],
};

/** Decimal text → bigint of 10^-30, and back (trailing zeros dropped). */
const fixed = toFixed30;
function text30(value: bigint): string {
  const negative = value < 0n;
  const digits = (negative ? -value : value).toString().padStart(31, '0');
  const fraction = digits.slice(-30).replace(/0+$/, '');
  return `${negative ? '-' : ''}${digits.slice(0, -30)}${fraction ? `.${fraction}` : ''}`;
}
const scale12 = 10n ** 18n; // 10^-12 expressed in 10^-30 units
/** round half-up(quantity / divisor, 12 decimals), in 10^-30 units. */
const pricingQuantity = (quantity: string, divisor: bigint) => {
  const numerator = fixed(quantity);
  const denominator = divisor * scale12;
  return ((2n * numerator + denominator) / (2n * denominator)) * scale12;
};
const cents = (value: bigint) => (value + 5n * 10n ** 27n) / 10n ** 28n;

interface ScriptedTurn {
  provider: string;
  user: string;
  sessionId: string;
  turnId: string;
  input: string;
  inputTokens: number;
  outputTokens: number;
  wallMs: number;
  startedAt: Date;
  endedAt: Date;
  providerSessionId: string;
  quantities: Record<QuantityColumn, string | null>;
}

/** Expected cost of one turn per unit (10^-30 USD), by the documented rule. */
function expectedCharges(turn: ScriptedTurn): Array<{ unit: string; pricingQuantity: bigint; cost: bigint }> {
  return Object.entries(testPrices(turn.provider)).flatMap(([unit, price]) => {
    const quantity = turn.quantities[units[unit].column];
    if (quantity === null || fixed(quantity) === 0n) return [];
    const pq = pricingQuantity(quantity, units[unit].divisor);
    return [{ unit, pricingQuantity: pq, cost: (pq * fixed(price)) / 10n ** 30n }];
  });
}
const turnCost = (turn: ScriptedTurn) => expectedCharges(turn).reduce((sum, charge) => sum + charge.cost, 0n);

/** JSON Lines with every number kept as its source text (needs JSON.parse source access, Node 22). */
describe('costs: a scripted day on every runtime, to the cent', () => {
  let sb: TestBroker;
  let finance: HttpClient;
  let tenant: Awaited<ReturnType<typeof createTenantWithKeys<'app' | 'admin' | 'finance'>>>;
  let agentId: string;
  let providers: string[];
  const turns: ScriptedTurn[] = [];
  const dayStart = new Date(Date.now() - 1000).toISOString();
  let dayEnd: string;
  let originalVersion: number;
  // This file is the only one that changes the platform-wide price book: test files run in parallel on one PostgreSQL.

  before(async () => {
    sb = await startTestBroker();
    tenant = await createTenantWithKeys(sb, ['app', 'admin', 'finance']);
    finance = sb.as(tenant.keys.finance.key);
    const targets = sb.broker.runtimes.demoTargets();
    providers = sb.broker.runtimes.ids().filter((id) => targets[id] !== undefined);
    assert.ok(providers.includes('claude') && providers.length >= 2, `registered runtimes: ${providers.join(', ')}`);

    const prices = await sb.operator.put('/v1/prices', {
      note: 'test prices',
      prices: allProviders.flatMap((provider) =>
        Object.entries(testPrices(provider)).map(([unit, unitPrice]) => ({ provider, unit, unitPrice, source: 'costs.test.ts', effectiveDate: '2025-11-21' })),
      ),
    });
    assert.equal(prices.status, 200, prices.text);
    originalVersion = prices.json.version;

    const agent = await sb.as(tenant.keys.admin.key).post('/v1/agents', { name: uniqueName('metered'), defaultProvider: 'claude', targets });
    assert.equal(agent.status, 201, agent.text);
    agentId = agent.json.id;

    const script: Array<{ user: string; inputs: string[] }> = [
      { user: 'alice', inputs: ['Where is my refund for order one two three?', 'Please use the tool to look it up'] },
      { user: 'bob', inputs: ['Hello there'] },
    ];
    for (const provider of providers) {
      for (const { user, inputs } of script) {
        const client = sb.as(tenant.keys.app.key, { 'x-end-user': user });
        const session = await client.post('/v1/sessions', { agent: agentId, provider });
        assert.equal(session.status, 201, session.text);
        for (const input of inputs) {
          const started = performance.now();
          const turn = await client.post(`/v1/sessions/${session.json.id}/turns`, { input });
          const wallMs = performance.now() - started;
          assert.equal(turn.status, 200, `${provider}: ${turn.text}`);
          assert.equal(turn.json.turn.status, 'completed');
          turns.push({
            provider, user, sessionId: session.json.id, turnId: turn.json.turn.id, input, wallMs,
            inputTokens: turn.json.turn.usage.inputTokens, outputTokens: turn.json.turn.usage.outputTokens,
            startedAt: new Date(0), endedAt: new Date(0), providerSessionId: '',
            quantities: { active: null, vcpu: null, gib: null, input: null, output: null, cacheRead: null, cacheWrite5m: null, cacheWrite1h: null },
          });
        }
      }
    }
    // What the adapters reported, as stored on the turn rows by the turn flow. The turn rows do not keep
    // prompt-cache tokens: those come from the meter records, checked against the Claude emulator's own
    // session totals in a test below, so they are inputs the provider vouches for.
    const rows = await sb.broker.database.database.inTenant(tenant.tenantId, (tx) =>
      tx.rows<{ id: string; started_at: Date; ended_at: Date; duration_ms: number; provider_active_seconds: string | null; vcpu_seconds: string | null; gib_seconds: string | null; provider_session_id: string; cache_read: string; cache_write_5m: string; cache_write_1h: string }>(
        `SELECT t.id, t.started_at, t.ended_at, t.duration_ms, t.provider_active_seconds::text, t.vcpu_seconds::text, t.gib_seconds::text, s.provider_session_id,
           m.cache_read_input_tokens::text AS cache_read, m.cache_creation_5m_input_tokens::text AS cache_write_5m, m.cache_creation_1h_input_tokens::text AS cache_write_1h
         FROM turns t JOIN sessions s ON s.id = t.session_id JOIN meter_records m ON m.turn_id = t.id WHERE t.id = ANY($1)`,
        [turns.map((turn) => turn.turnId)],
      ),
    );
    for (const turn of turns) {
      const row = rows.find((candidate) => candidate.id === turn.turnId)!;
      turn.providerSessionId = row.provider_session_id;
      turn.startedAt = row.started_at;
      turn.endedAt = row.ended_at;
      turn.quantities = {
        active: row.provider_active_seconds ?? (row.duration_ms / 1000).toFixed(3),
        vcpu: row.vcpu_seconds,
        gib: row.gib_seconds,
        input: String(turn.inputTokens),
        output: String(turn.outputTokens),
        cacheRead: row.cache_read,
        cacheWrite5m: row.cache_write_5m,
        cacheWrite1h: row.cache_write_1h,
      };
    }
    dayEnd = new Date(Date.now() + 1000).toISOString();
  });
  after(() => sb.close());

  /** A turn that crosses a clock hour is split into two lines per charge; sums then agree to 10^-12 of a unit, so compare to the cent. */
  const anySplit = () => turns.some((turn) => Math.floor(turn.startedAt.getTime() / 3_600_000) !== Math.floor(turn.endedAt.getTime() / 3_600_000));
  const assertMoney = (actual: string, expected: bigint, label: string) => {
    if (anySplit()) assert.equal(cents(fixed(actual)), cents(expected), `${label} to the cent`);
    else assert.equal(actual, text30(expected), `${label} exactly`);
  };

  test('Claude reports active seconds from its emulator clock: the planned model time plus in-process milliseconds', () => {
    for (const turn of turns.filter((candidate) => candidate.provider === 'claude')) {
      const plannedMs = (turn.input.includes('tool') ? 800 + 250 : 400) + 10 * turn.outputTokens;
      const reportedMs = Number(turn.quantities.active) * 1000;
      assert.ok(reportedMs >= plannedMs && reportedMs <= plannedMs + turn.wallMs + 1, `${reportedMs} ms for planned ${plannedMs} ms within ${turn.wallMs} ms`);
    }
  });

  test('Claude prompt-cache tokens are metered per turn and add up to what the Claude session reports', async () => {
    const emulator = sb.broker.runtimes.emulator<{ url: string }>('claude')!;
    const claude = new Anthropic({ apiKey: 'sk-ant-test', baseURL: emulator.url, maxRetries: 0 });
    const claudeTurns = turns.filter((turn) => turn.provider === 'claude');
    for (const providerSessionId of new Set(claudeTurns.map((turn) => turn.providerSessionId))) {
      const sessionTurns = claudeTurns.filter((turn) => turn.providerSessionId === providerSessionId);
      const { usage } = await claude.beta.sessions.retrieve(providerSessionId);
      const sum = (column: QuantityColumn | 'input' | 'output') => sessionTurns.reduce((total, turn) => total + Number(turn.quantities[column]), 0);
      assert.equal(sum('input'), usage.input_tokens);
      assert.equal(sum('output'), usage.output_tokens);
      assert.equal(sum('cacheRead'), usage.cache_read_input_tokens);
      assert.equal(sum('cacheWrite5m'), usage.cache_creation?.ephemeral_5m_input_tokens);
      assert.equal(sum('cacheWrite1h'), usage.cache_creation?.ephemeral_1h_input_tokens);
    }
    // The emulator's first turn writes the cache; a second turn in the session reads it.
    assert.ok(claudeTurns.every((turn) => Number(turn.quantities.cacheWrite5m) > 0));
    assert.ok(claudeTurns.some((turn) => Number(turn.quantities.cacheRead) > 0));
  });

  test('the summary matches the hand computation for every grouping', async () => {
    const keyOf: Record<string, (turn: ScriptedTurn) => string> = {
      user: (turn) => turn.user,
      agent: () => agentId,
      provider: (turn) => turn.provider,
      day: (turn) => turn.startedAt.toISOString().slice(0, 10),
    };
    for (const groupBy of Object.keys(keyOf)) {
      const summary = await finance.get(`/v1/costs/summary?from=${dayStart}&to=${dayEnd}&groupBy=${groupBy}`);
      assert.equal(summary.status, 200, summary.text);
      assert.equal(summary.json.currency, 'USD');
      const expected = new Map<string, { cost: bigint; turns: number; inputTokens: number; outputTokens: number; sessions: Set<string> }>();
      for (const turn of turns) {
        const key = keyOf[groupBy](turn);
        const group = expected.get(key) ?? { cost: 0n, turns: 0, inputTokens: 0, outputTokens: 0, sessions: new Set<string>() };
        group.cost += turnCost(turn);
        group.turns += 1;
        group.inputTokens += turn.inputTokens;
        group.outputTokens += turn.outputTokens;
        group.sessions.add(turn.sessionId);
        expected.set(key, group);
      }
      if (groupBy !== 'day') assert.deepEqual(summary.json.groups.map((group: { key: string }) => group.key), [...expected.keys()].sort(), groupBy);
      for (const group of summary.json.groups as Array<{ key: string; costUsd: string; turns: number; inputTokens: number; outputTokens: number; sessions: number }>) {
        const want = expected.get(group.key);
        if (groupBy === 'day' && !want) continue; // only when a turn crossed midnight
        assert.ok(want, `${groupBy} ${group.key}`);
        assertMoney(group.costUsd, want.cost, `${groupBy} ${group.key}`);
        if (groupBy !== 'day') assert.deepEqual([group.turns, group.inputTokens, group.outputTokens, group.sessions], [want.turns, want.inputTokens, want.outputTokens, want.sessions.size]);
      }
      const total = turns.reduce((sum, turn) => sum + turnCost(turn), 0n);
      assertMoney(summary.json.total, total, `${groupBy} total`);
      assert.ok(cents(total) > 100n, 'the day costs more than a dollar at test prices: the cents are real');
    }
  });

  for (const [format, version] of [['focus-csv', '1.2'], ['focus-csv', '1.3'], ['focus-jsonl', '1.2'], ['focus-jsonl', '1.3']] as const) {
    test(`every ${format} ${version} row is valid FOCUS and matches the hand computation`, async () => {
      const response = await finance.get(`/v1/costs/export?format=${format}&focusVersion=${version}&from=${dayStart}&to=${dayEnd}`);
      assert.equal(response.status, 200, response.text);
      let dataset: { columns: string[]; rows: FocusRow[] };
      if (format === 'focus-csv') {
        assert.match(response.headers.get('content-type')!, /^text\/csv/);
        dataset = parseFocusCsv(response.text);
      } else {
        assert.match(response.headers.get('content-type')!, /^application\/x-ndjson/);
        dataset = parseFocusJsonl(response.text);
        for (const row of dataset.rows) assert.deepEqual(Object.keys(row), dataset.columns, 'every line has the same columns in the same order');
      }
      const report = validateFocus(dataset, { version, format: format === 'focus-csv' ? 'csv' : 'jsonl', claims: brokerClaims, providerTagPrefixes: ['switchboard/'] });
      assert.deepEqual(describeFocusReport(report), [], 'no MUST violation of the official FOCUS model');
      const { columns } = dataset;
      const rows = dataset.rows.map(textRow);
      if (version === '1.3') assert.ok(columns.includes('ServiceProviderName') && columns.includes('HostProviderName'));

      const bySessionUnit = new Map<string, { cost: bigint; rows: number }>();
      for (const row of rows) {
        const key = `${row.ResourceId}|${row.SkuId}`;
        const entry = bySessionUnit.get(key) ?? { cost: 0n, rows: 0 };
        entry.cost += fixed(row.BilledCost!);
        entry.rows += 1;
        bySessionUnit.set(key, entry);
        const tags = JSON.parse(row.Tags!);
        const turn = turns.find((candidate) => candidate.sessionId === row.ResourceId)!;
        assert.deepEqual(tags, { 'switchboard/tenant': tenant.tenantId, 'switchboard/user': turn.user, 'switchboard/agent': agentId, 'switchboard/provider': turn.provider, 'switchboard/session': turn.sessionId });
        assert.equal(row.x_TenantId, tenant.tenantId);
        assert.equal(row.x_UserId, turn.user);
        assert.equal(row.x_PrincipalId, tenant.keys.app.id, 'the credential that ran the turns');
        assert.equal(row.BillingAccountId, tenant.tenantId);
        assert.equal(row.BillingAccountName, tenant.name);
        const unit = row.SkuId!.split('/')[1];
        const basis = unit === 'session-hour' ? 'provider-reported' : unit.endsWith('mtok') ? 'provider-reported' : 'estimated';
        assert.equal(row.x_CostBasis, basis, `${row.SkuId} basis`);
        assert.equal(row.ListUnitPrice, testPrices(turn.provider)[unit as keyof ReturnType<typeof testPrices>]);
        assert.deepEqual([row.SkuMeter, row.ConsumedUnit, row.PricingUnit], focusUnits[unit], `${row.SkuId} meter and units`);
        assert.equal(row.SkuPriceId, `${row.SkuId}/v${originalVersion}`);
        for (const cost of ['EffectiveCost', 'ListCost', 'ContractedCost']) assert.equal(row[cost], row.BilledCost);
      }
      const expected = new Map<string, { cost: bigint; lines: number }>();
      for (const turn of turns) {
        for (const charge of expectedCharges(turn)) {
          const key = `${turn.sessionId}|${turn.provider}/${charge.unit}`;
          const entry = expected.get(key) ?? { cost: 0n, lines: 0 };
          entry.cost += charge.cost;
          entry.lines += 1;
          expected.set(key, entry);
        }
      }
      assert.deepEqual([...bySessionUnit.keys()].sort(), [...expected.keys()].sort(), 'one set of lines per session and charge type');
      for (const [key, want] of expected) {
        const got = bySessionUnit.get(key)!;
        if (!anySplit()) assert.equal(got.rows, want.lines, `${key}: one line per turn within one hour`);
        assertMoney(text30(got.cost), want.cost, key);
      }
      assert.ok(providers.every((provider) => rows.some((row) => row.SkuId!.startsWith(`${provider}/`))), 'every runtime is in the export');
      for (const sku of ['claude/cache-read-mtok', 'claude/cache-write-5m-mtok']) assert.ok(rows.some((row) => row.SkuId === sku), `${sku} lines are in the export`);
    });
  }

  test('the plain CSV carries the same lines and total', async () => {
    const response = await finance.get(`/v1/costs/export?format=csv&from=${dayStart}&to=${dayEnd}`);
    assert.equal(response.status, 200, response.text);
    const { columns, rows } = parseFocusCsv(response.text);
    assert.deepEqual(columns.slice(0, 3), ['chargePeriodStart', 'chargePeriodEnd', 'tenant']);
    const total = rows.reduce((sum, row) => sum + fixed(row.costUsd!), 0n);
    assertMoney(text30(total), turns.reduce((sum, turn) => sum + turnCost(turn), 0n), 'plain CSV total');
  });

  test('each session shows its metered cost (rounded per turn to 10 decimals)', async () => {
    for (const sessionId of new Set(turns.map((turn) => turn.sessionId))) {
      const sessionTurns = turns.filter((turn) => turn.sessionId === sessionId);
      const session = await sb.as(tenant.keys.app.key, { 'x-end-user': sessionTurns[0].user }).get(`/v1/sessions/${sessionId}`);
      const expected = sessionTurns.reduce((sum, turn) => sum + ((turnCost(turn) + 5n * 10n ** 19n) / 10n ** 20n) * 10n ** 20n, 0n);
      assert.equal(session.json.usage.costUsd, text30(expected), sessionId);
    }
  });

  test('meter records keep both clocks, idle time and the price book version', async () => {
    const records = await sb.broker.database.database.inTenant(tenant.tenantId, (tx) =>
      tx.rows<{ turn_id: string; active_seconds: string; broker_active_seconds: string; provider_active_seconds: string | null; idle_seconds: string; price_book_version: number; active_basis: string }>(
        `SELECT turn_id, active_seconds::text, broker_active_seconds::text, provider_active_seconds::text, idle_seconds::text, price_book_version, active_basis FROM meter_records WHERE tenant_id = $1`,
        [tenant.tenantId],
      ),
    );
    assert.equal(records.length, turns.length, 'one record per turn');
    for (const turn of turns) {
      const record = records.find((candidate) => candidate.turn_id === turn.turnId)!;
      assert.equal(record.price_book_version, originalVersion);
      assert.ok(Number(record.idle_seconds) >= 0);
      assert.ok(Number(record.broker_active_seconds) > 0, 'the broker clock is kept');
      if (turn.provider === 'claude') {
        assert.equal(record.active_basis, 'provider-reported');
        assert.equal(record.active_seconds, record.provider_active_seconds, 'the provider figure wins');
      } else {
        assert.equal(record.active_basis, 'estimated');
        assert.equal(record.active_seconds, record.broker_active_seconds);
      }
    }
    const second = turns.find((turn) => turn.input.includes('tool'))!;
    assert.ok(Number(records.find((record) => record.turn_id === second.turnId)!.idle_seconds) > 0, 'idle between two turns of a session');
  });

  test('changing a price does not change an earlier period’s export; later turns use the new version', async () => {
    const before = await finance.get(`/v1/costs/export?format=focus-csv&from=${dayStart}&to=${dayEnd}`);
    const summaryBefore = await finance.get(`/v1/costs/summary?from=${dayStart}&to=${dayEnd}&groupBy=provider`);
    await new Promise((resolve) => setTimeout(resolve, Date.parse(dayEnd) - Date.now() + 5));

    const changed = await sb.operator.put('/v1/prices', { note: 'discount renegotiated', prices: [{ provider: 'claude', unit: 'output-mtok', unitPrice: '40000', source: 'contract 2', effectiveDate: '2025-12-01' }] });
    assert.equal(changed.status, 200, changed.text);
    assert.equal(changed.json.version, originalVersion + 1);
    const claudeSession = turns.find((turn) => turn.provider === 'claude')!;
    const turn = await sb.as(tenant.keys.app.key, { 'x-end-user': claudeSession.user }).post(`/v1/sessions/${claudeSession.sessionId}/turns`, { input: 'one more question' });
    assert.equal(turn.status, 200, turn.text);

    const after = await finance.get(`/v1/costs/export?format=focus-csv&from=${dayStart}&to=${dayEnd}`);
    assert.equal(after.text, before.text, 'the earlier period exports byte for byte the same');
    assert.deepEqual((await finance.get(`/v1/costs/summary?from=${dayStart}&to=${dayEnd}&groupBy=provider`)).json, summaryBefore.json);

    const later = parseFocusCsv((await finance.get(`/v1/costs/export?format=focus-csv&from=${dayEnd}&to=${new Date(Date.now() + 60_000).toISOString()}`)).text).rows;
    const output = later.find((row) => row.SkuId === 'claude/output-mtok')!;
    assert.equal(output.ListUnitPrice, '40000');
    assert.equal(output.SkuPriceId, `claude/output-mtok/v${originalVersion + 1}`);
    assert.equal(output.ListCost, text30((fixed(output.PricingQuantity!) * fixed('40000')) / 10n ** 30n));
    const old = await sb.as(tenant.keys.finance.key).get(`/v1/prices?version=${originalVersion}`);
    assert.equal(old.json.prices.find((price: { provider: string; unit: string }) => price.provider === 'claude' && price.unit === 'output-mtok').unitPrice, '20000');
  });

  test('a change carries every other price over; remove drops one', async () => {
    const before = (await sb.operator.get('/v1/prices')).json;
    const changed = await sb.operator.put('/v1/prices', { prices: [{ provider: 'vertex', unit: 'vcpu-hour', unitPrice: '0.08', source: 'enterprise discount', effectiveDate: '2025-12-01' }] }, { 'x-request-id': 'req-price-change-1' });
    assert.equal(changed.status, 200, changed.text);
    assert.equal(changed.json.version, before.version + 1);
    // The version names who made it and in which request, now and when read back later.
    assert.deepEqual(changed.json.changedBy, { kind: 'operator', id: 'operator', requestId: 'req-price-change-1' });
    assert.deepEqual((await sb.as(tenant.keys.finance.key).get(`/v1/prices?version=${changed.json.version}`)).json.changedBy, changed.json.changedBy);
    assert.equal(changed.json.prices.length, before.prices.length, 'other prices carry over');
    const vertex = changed.json.prices.find((entry: { provider: string; unit: string }) => entry.provider === 'vertex' && entry.unit === 'vcpu-hour');
    assert.deepEqual([vertex.unitPrice, vertex.source, vertex.effectiveDate], ['0.08', 'enterprise discount', '2025-12-01']);
    const removed = await sb.operator.put('/v1/prices', { remove: [{ provider: 'vertex', unit: 'vcpu-hour' }] });
    assert.equal(removed.json.prices.length, before.prices.length - 1);
    assert.equal(removed.json.version, before.version + 2);
  });
});
