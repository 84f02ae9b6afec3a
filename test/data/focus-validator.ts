import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * A FOCUS export validator for tests: the column lists are data (this
 * folder's CSVs, with their sources), the rules are those of the FOCUS
 * column definitions plus the cost issue's own:
 * - every Mandatory column of the version is present, and non-null where it
 *   does not allow nulls; every other column is a listed FOCUS column or is
 *   custom and `x_`-prefixed, and custom columns come after all FOCUS ones;
 * - values match their data type (Decimal, Date/Time `YYYY-MM-DDTHH:mm:ssZ`,
 *   JSON object, ISO 4217 currency) and the allowed values of the
 *   enumerated columns;
 * - ChargePeriodStart < ChargePeriodEnd, inside the billing period;
 * - PricingQuantity × ListUnitPrice = ListCost and × ContractedUnitPrice =
 *   ContractedCost, exactly (decimal arithmetic);
 * - the broker's own: ConsumedQuantity/ConsumedUnit, ResourceId, SkuId and
 *   Tags (tenant, user, agent, provider, session) present; x_TenantId,
 *   x_UserId, x_PrincipalId, x_CostBasis present; ResourceId is the session.
 */
export type FocusVersion = '1.2' | '1.3';
export type FocusRow = Record<string, string | null>;

interface ColumnSpec {
  id: string;
  featureLevel: 'Mandatory' | 'Conditional' | 'Recommended' | 'Optional';
  allowsNulls: boolean;
  dataType: string;
  valueFormat: string;
}

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

export function focusColumns(version: FocusVersion): ColumnSpec[] {
  const lines = readFileSync(path.join(root, `test/data/focus-${version}-columns.csv`), 'utf8').trim().split('\n').slice(1);
  return lines.map((line) => {
    const [id, , , featureLevel, allowsNulls, dataType, valueFormat] = line.split(',');
    return { id, featureLevel: featureLevel as ColumnSpec['featureLevel'], allowsNulls: allowsNulls === 'True', dataType, valueFormat };
  });
}

const allowedValues: Record<string, readonly (string | null)[]> = {
  ChargeCategory: ['Usage', 'Purchase', 'Tax', 'Credit', 'Adjustment'],
  ChargeClass: [null, 'Correction'],
  ChargeFrequency: ['One-Time', 'Recurring', 'Usage-Based'],
  PricingCategory: [null, 'Standard', 'Dynamic', 'Committed', 'Other'],
  ServiceCategory: [
    'AI and Machine Learning', 'Analytics', 'Business Applications', 'Compute', 'Databases', 'Developer Tools', 'Multicloud', 'Identity',
    'Integration', 'Internet of Things', 'Management and Governance', 'Media', 'Migration', 'Mobile', 'Networking', 'Security', 'Storage', 'Web', 'Other',
  ],
};

/** Conditional columns the broker always has the data for, so always writes. */
const brokerRequired = ['ConsumedQuantity', 'ConsumedUnit', 'ResourceId', 'SkuId', 'Tags', 'x_TenantId', 'x_UserId', 'x_PrincipalId', 'x_CostBasis'];
const tagKeys = ['tenant', 'user', 'agent', 'provider', 'session'];
const datetime = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;
const decimal = /^-?\d+(\.\d+)?$/;

/** An exact decimal as a bigint at a fixed scale of 10^-30 (prices ≤ 10 decimals × quantities ≤ 12 decimals fit). */
export function toFixed30(text: string): bigint {
  const match = /^(-?)(\d+)(?:\.(\d+))?$/.exec(text);
  if (!match) throw new Error(`not a decimal: ${text}`);
  const fraction = (match[3] ?? '').padEnd(30, '0');
  if (fraction.length > 30) throw new Error(`too many decimals: ${text}`);
  const value = BigInt(match[2] + fraction);
  return match[1] ? -value : value;
}

/** Problems with the export's column list (header), independent of rows. */
export function validateFocusColumns(columns: string[], version: FocusVersion): string[] {
  const specs = focusColumns(version);
  const known = new Set(specs.map((spec) => spec.id));
  const problems: string[] = [];
  for (const spec of specs) if (spec.featureLevel === 'Mandatory' && !columns.includes(spec.id)) problems.push(`missing Mandatory column ${spec.id}`);
  for (const column of brokerRequired) if (!columns.includes(column)) problems.push(`missing column ${column}`);
  for (const column of columns) if (!known.has(column) && !column.startsWith('x_')) problems.push(`unknown column ${column} (custom columns need the x_ prefix)`);
  const firstCustom = columns.findIndex((column) => column.startsWith('x_'));
  if (firstCustom >= 0 && columns.slice(firstCustom).some((column) => !column.startsWith('x_'))) problems.push('custom columns must come after the FOCUS columns');
  if (new Set(columns).size !== columns.length) problems.push('duplicate columns');
  return problems;
}

/** Problems with one row; each names the column. */
export function validateFocusRow(row: FocusRow, version: FocusVersion): string[] {
  const problems: string[] = [];
  const specs = new Map(focusColumns(version).map((spec) => [spec.id, spec]));
  for (const [column, value] of Object.entries(row)) {
    const spec = specs.get(column);
    if (!spec) continue;
    if (value === null || value === '') {
      if (!spec.allowsNulls) problems.push(`${column} must not be null`);
      continue;
    }
    if (spec.dataType === 'Decimal' && !decimal.test(value)) problems.push(`${column} is not a decimal: ${value}`);
    if (spec.dataType === 'Date/Time' && !datetime.test(value)) problems.push(`${column} is not YYYY-MM-DDTHH:mm:ssZ: ${value}`);
    if (spec.valueFormat === 'Currency Format' && !/^[A-Z]{3}$/.test(value)) problems.push(`${column} is not an ISO 4217 code: ${value}`);
    if (spec.dataType === 'JSON') {
      try {
        const parsed: unknown = JSON.parse(value);
        if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) problems.push(`${column} is not a JSON object`);
      } catch {
        problems.push(`${column} is not JSON`);
      }
    }
  }
  for (const [column, allowed] of Object.entries(allowedValues)) {
    if (column in row && !allowed.includes(row[column] || null)) problems.push(`${column} has a value FOCUS does not allow: ${row[column]}`);
  }
  for (const column of brokerRequired) if (!row[column]) problems.push(`${column} is empty`);
  if (problems.length > 0) return problems;

  const at = (column: string) => Date.parse(row[column]!);
  if (!(at('ChargePeriodStart') < at('ChargePeriodEnd'))) problems.push('ChargePeriodStart must be before ChargePeriodEnd');
  if (at('ChargePeriodStart') < at('BillingPeriodStart') || at('ChargePeriodEnd') > at('BillingPeriodEnd')) problems.push('the charge period must lie in the billing period');
  for (const [price, cost] of [['ListUnitPrice', 'ListCost'], ['ContractedUnitPrice', 'ContractedCost']]) {
    if (row[price] === undefined || row[price] === null || !row.PricingQuantity) continue;
    if (toFixed30(row.PricingQuantity) * toFixed30(row[price]) !== toFixed30(row[cost]!) * 10n ** 30n) {
      problems.push(`PricingQuantity × ${price} (${row.PricingQuantity} × ${row[price]}) ≠ ${cost} (${row[cost]})`);
    }
  }
  const tags = JSON.parse(row.Tags!) as Record<string, unknown>;
  for (const key of tagKeys) if (typeof tags[key] !== 'string' || !tags[key]) problems.push(`Tags lacks ${key}`);
  if (row.ResourceId !== tags.session) problems.push('ResourceId must be the session');
  if (!['estimated', 'provider-reported'].includes(row.x_CostBasis!)) problems.push(`x_CostBasis is ${row.x_CostBasis}`);
  return problems;
}

/** RFC 4180 CSV into rows of fields (quoted fields may hold commas, quotes and line breaks). */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let field = '';
  let row: string[] = [];
  let quoted = false;
  for (let index = 0; index < text.length; index++) {
    const char = text[index];
    if (quoted) {
      if (char === '"' && text[index + 1] === '"') {
        field += '"';
        index++;
      } else if (char === '"') quoted = false;
      else field += char;
    } else if (char === '"') quoted = true;
    else if (char === ',') {
      row.push(field);
      field = '';
    } else if (char === '\n' || char === '\r') {
      if (char === '\r' && text[index + 1] === '\n') index++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += char;
  }
  if (field !== '' || row.length > 0) rows.push([...row, field]);
  return rows;
}

/** A FOCUS CSV body as header + rows of column → value (empty field → null). */
export function parseFocusCsv(text: string): { columns: string[]; rows: FocusRow[] } {
  const [columns, ...records] = parseCsv(text);
  return { columns, rows: records.map((record) => Object.fromEntries(columns.map((column, index) => [column, record[index] === '' ? null : record[index]]))) };
}
