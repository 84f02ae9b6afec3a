import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ExportRow } from '../../apps/broker/src/costs/cost.repository.js';
import { csvEncoder, jsonLinesEncoder } from '../../apps/broker/src/costs/export-encoders.js';
import { exportColumns } from '../../apps/broker/src/costs/focus-columns.js';
import {
  brokerClaims, describeFocusReport, focusModel, JsonNumber, keyValueProblem, parseFocusCsv, parseFocusJsonl, validateFocus,
  type FocusOptions, type FocusRow, type FocusVersion,
} from './focus-validator.js';

/**
 * The model-driven FOCUS validator on exports of the broker's own encoders,
 * then on deliberately broken copies: each rule class must fail.
 */
const base: ExportRow = {
  id: '1', start_us: '0', charge_period_start: '2026-01-01T10:00:00Z', charge_period_end: '2026-01-01T10:00:02Z',
  billing_period_start: '2026-01-01T00:00:00Z', billing_period_end: '2026-02-01T00:00:00Z', session_id: 'ses_1', user_id: 'alice',
  agent_id: 'agt_1', provider: 'agentcore', principal_id: 'key_1', unit: 'vcpu-hour', consumed_quantity: '0.123',
  pricing_quantity: '0.000034166667', unit_price: '0.0895', cost: '0.0000030579166965', cost_basis: 'estimated', price_book_version: 1, source: 'turn', charge_class: null,
  agent_name: 'triage',
};
const rows: ExportRow[] = [
  base,
  { ...base, id: '2', provider: 'claude', unit: 'session-hour', consumed_quantity: '2', pricing_quantity: '0.000555555556', unit_price: '0.08', cost: '0.00004444444448', cost_basis: 'provider-reported' },
  { ...base, id: '3', provider: 'vertex', unit: 'input-mtok', consumed_quantity: '120', pricing_quantity: '0.00012', unit_price: '1.25', cost: '0.00015', cost_basis: 'provider-reported' },
  { ...base, id: '4', provider: 'foundry', unit: 'gib-hour', session_id: 'ses_2', user_id: 'bob', principal_id: null },
  // An ended session's reconciliation, correcting an earlier billing period downwards: negative, ChargeClass Correction.
  {
    ...base, id: '5', session_id: 'ses_2', principal_id: null, consumed_quantity: '-10', pricing_quantity: '-0.002777777778', cost: '-0.000248611111131',
    source: 'session-reconciliation', charge_class: 'Correction',
  },
];
const context = { tenantId: 'ten_1', tenantName: 'acme' };
const optionsFor = (version: FocusVersion, format: 'csv' | 'jsonl'): FocusOptions => ({ version, format, claims: brokerClaims, providerTagPrefixes: ['switchboard/'] });

function exportOf(version: FocusVersion, format: 'csv' | 'jsonl') {
  if (format === 'csv') {
    const encoder = csvEncoder(exportColumns('focus-csv', version));
    return parseFocusCsv(encoder.header() + encoder.rows(rows, context));
  }
  return parseFocusJsonl(jsonLinesEncoder(exportColumns('focus-jsonl', version)).rows(rows, context));
}

const ruleIds = (report: ReturnType<typeof validateFocus>) => report.errors.map((violation) => violation.ruleId);

for (const version of ['1.2', '1.3'] as const) {
  for (const format of ['csv', 'jsonl'] as const) {
    test(`the broker's FOCUS ${version} ${format} export passes the official model with no MUST violation`, () => {
      const report = validateFocus(exportOf(version, format), optionsFor(version, format));
      assert.deepEqual(describeFocusReport(report), []);
      assert.ok(report.evaluated > 150, `rules evaluated: ${report.evaluated}`);
    });
  }
}

test('the validator interprets every rule and every CheckFunction of the model', () => {
  const model = focusModel();
  assert.equal(Object.keys(model.ModelRules).length, 621);
  assert.equal(Object.keys(model.CheckFunctions).length, 22);
  // Claiming everything and presenting an empty dataset must not meet an unknown function or rule.
  const report = validateFocus({ columns: [], rows: [] }, { ...optionsFor('1.2', 'csv'), claims: Object.keys(model.ApplicabilityCriteria) as FocusOptions['claims'] });
  assert.ok(report.errors.some((violation) => violation.ruleId === 'CostAndUsage-D-006-M'));
});

/** Breaks a copy of the good export and returns the rule ids that fail. */
function broken(change: (dataset: { columns: string[]; rows: FocusRow[] }) => void, version: FocusVersion = '1.3', format: 'csv' | 'jsonl' = 'csv', options: Partial<FocusOptions> = {}) {
  const dataset = exportOf(version, format);
  const copy = { columns: [...dataset.columns], rows: dataset.rows.map((row) => ({ ...row })) };
  change(copy);
  return ruleIds(validateFocus(copy, { ...optionsFor(version, format), ...options }));
}
const dropColumn = (name: string) => (dataset: { columns: string[]; rows: FocusRow[] }) => {
  dataset.columns = dataset.columns.filter((column) => column !== name);
  for (const row of dataset.rows) delete row[name];
};
const setFirst = (column: string, value: unknown) => (dataset: { columns: string[]; rows: FocusRow[] }) => {
  dataset.rows[0][column] = value;
};

test('presence: a Mandatory column, and a Conditional one whose criteria the export claims', () => {
  assert.ok(broken(dropColumn('BilledCost')).includes('CostAndUsage-D-006-M'));
  for (const [column, rule] of [['ResourceName', 'CostAndUsage-D-044-C'], ['SkuMeter', 'CostAndUsage-D-059-C'], ['SkuPriceDetails', 'CostAndUsage-D-061-C'], ['Tags', 'CostAndUsage-D-064-C']]) {
    assert.ok(broken(dropColumn(column)).includes(rule), column);
  }
  // Applicability: without the claim the same absence is no violation.
  assert.ok(!broken(dropColumn('SkuMeter'), '1.3', 'csv', { claims: brokerClaims.filter((claim) => claim !== 'UNIT_PRICING_SUPPORTED') }).includes('CostAndUsage-D-059-C'));
});

test('types and formats: decimals, date/times, strings, currencies, units, key-value', () => {
  assert.ok(broken(setFirst('BilledCost', '1e-3')).includes('BilledCost-C-002-M'));
  assert.ok(broken(setFirst('ChargePeriodStart', '2026-01-01 10:00:00')).some((id) => id.startsWith('ChargePeriodStart-C-00')));
  assert.ok(broken(setFirst('ResourceName', 'café')).some((id) => id.startsWith('ResourceName-C-002')));
  assert.ok(broken(setFirst('BillingCurrency', 'XYZ')).includes('BillingCurrency-C-006-M'));
  assert.ok(broken(setFirst('SkuPriceDetails', '{"x_A":"1","x_A":"2"}')).includes('SkuPriceDetails-C-001-M'), 'duplicate keys');
  assert.ok(broken(setFirst('Tags', '{"switchboard/a":{"nested":true}}')).includes('Tags-C-001-M'), 'nested values');
  // JSON Lines: a decimal as a JSON number, and Tags as a nested object rather than a serialized string.
  assert.ok(broken(setFirst('BilledCost', new JsonNumber('0.1')), '1.3', 'jsonl').includes('BilledCost-C-001-M'));
  assert.ok(broken(setFirst('Tags', { 'switchboard/tenant': 'ten_1' }), '1.3', 'jsonl').includes('Tags-C-001-M'));
  assert.equal(keyValueProblem('{"a":1,"b":"x","c":null,"d":true}'), null);
  assert.match(keyValueProblem('{"a":[1]}')!, /object or array/);
});

test('allowed values, non-negative values and conditional nullability', () => {
  assert.ok(broken(setFirst('ChargeCategory', 'Usage-ish')).includes('ChargeCategory-C-003-M'));
  assert.ok(broken(setFirst('ListUnitPrice', '-1')).includes('ListUnitPrice-C-008-M'));
  assert.ok(broken(setFirst('BilledCost', null)).includes('BilledCost-C-003-M'));
  // SkuMeter MUST be null when SkuId is null (a Condition).
  assert.ok(broken((dataset) => (dataset.rows[0].SkuId = null)).includes('SkuMeter-C-004-C'));
});

test('column relations in exact decimals, and one parent SkuId per SkuPriceId', () => {
  // One unit in the 30th decimal: a float product would not see it.
  assert.ok(broken((dataset) => (dataset.rows[0].ListCost = `${String(dataset.rows[0].ListCost)}000000000000001`)).includes('ListUnitPrice-C-010-C'));
  assert.ok(broken((dataset) => (dataset.rows[1].SkuPriceId = dataset.rows[0].SkuPriceId)).includes('SkuPriceId-C-008-M'));
});

test('dynamic rules the export can be judged on, the 1.3 additions and custom columns', () => {
  assert.ok(broken(setFirst('Tags', '{"tenant":"ten_1"}')).includes('Tags-C-012-M'), 'a provider tag key without the prefix');
  assert.ok(!broken(setFirst('Tags', '{"team":"red"}'), '1.3', 'csv', { userTagKeys: ['team'] }).includes('Tags-C-012-M'), 'user tags stay unprefixed');
  assert.ok(broken(setFirst('SkuPriceDetails', '{"Meter":"x"}')).includes('SkuPriceDetails-C-017-C'));
  assert.ok(broken(setFirst('HostProviderName', null)).includes('1.3-HostProviderName-not-null'));
  assert.ok(broken(setFirst('ServiceProviderName', null)).includes('1.3-ServiceProviderName-not-null'));
  assert.ok(broken(dropColumn('HostProviderName')).includes('1.3-HostProviderName-present'));
  assert.ok(broken((dataset) => dataset.columns.push('TenantId')).includes('ColumnHandling-custom-x_'));
  assert.ok(!broken(dropColumn('HostProviderName'), '1.2').length, '1.2 has no HostProviderName requirement');
});
