import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * A FOCUS export validator for tests that applies the FinOps Foundation's
 * own FOCUS Requirements Model (`focus-model/model-1.2.json`, from the
 * official focus_validator) instead of a hand-kept column list: every rule
 * reachable from the dataset rule CostAndUsage-D-000-M is interpreted —
 * presence by requirement level and applicability criteria, types, formats,
 * allowed values, conditional nullability (rule and composite Conditions),
 * column relations in exact decimals — with all 22 CheckFunctions.
 *
 * How the model is read (where the official Python validator differs, why):
 * - A rule applies when the export claims EVERY applicability criterion it
 *   lists (the rule texts say "when the provider supports X and Y"); a
 *   composite that does not apply takes its sub-rules with it.
 * - A Column rule whose column is absent is skipped: the Dataset presence
 *   rule (CostAndUsage-D-0xx) is what judges the absence.
 * - MUST / MUST NOT failures are errors; SHOULD (NOT) and RECOMMENDED are
 *   warnings, and do not make an OR composite fail; a MAY is a permission,
 *   never a finding.
 * - Dynamic rules carry no machine-checkable requirement and are skipped, as
 *   the official validator does, except the few an export can be judged on
 *   alone (`dynamicChecks` below: provider tag prefixes, SKU price property
 *   keys, one SkuMeter per SkuId).
 * - FormatKeyValue follows the spec's KeyValueFormat (a serialized JSON
 *   object, unique keys, primitive values), not the official validator's
 *   placeholder `k=v;k=v` pattern, which no spec-conformant value matches.
 *   FormatUnit and CheckDecimalValue, which the official validator skips,
 *   are checked (UnitFormat's patterns; a decimal literal).
 * - JSON Lines: a Decimal column MUST be a JSON string holding the decimal
 *   (our API's rule, and the only exact carrier), a KeyValueFormat column a
 *   JSON string holding the serialized object (what KeyValueFormat says).
 * - ResourceId-C-006-C's condition names its column as `CheckCondition`
 *   (a typo in the model); it is read as `ColumnName`.
 * FOCUS 1.3 additions come from the 1.3 text (the model stops at 1.2):
 * ServiceProviderName and HostProviderName present, String, MUST NOT be null.
 * Outside the model: every column is a FOCUS column of the version or is
 * `x_`-prefixed (custom columns).
 */
export type FocusVersion = '1.2' | '1.3';
/** A cell as parsed: CSV gives text or null; JSON Lines keeps numbers apart (JsonNumber) and objects as objects. */
export type FocusRow = Record<string, unknown>;

export const applicabilityCriteria = [
  'ACCOUNT_NAMING_SUPPORTED', 'AVAILABILITY_ZONE_SUPPORTED', 'CAPACITY_RESERVATION_SUPPORTED', 'COMMITMENT_DISCOUNT_SUPPORTED',
  'MULTIPLE_PRICING_CATEGORIES_SUPPORTED', 'MULTIPLE_SUB_ACCOUNT_TYPES_SUPPORTED', 'MULTIPLE_BILLING_ACCOUNT_TYPES_SUPPORTED',
  'NEGOTIATED_PRICING_SUPPORTED', 'PUBLIC_PRICE_LIST_SUPPORTED', 'USAGE_MEASUREMENT_SUPPORTED', 'UNIT_PRICING_SUPPORTED',
  'SUB_ACCOUNT_SUPPORTED', 'BILLING_BASED_ON_PROVISIONED_RESOURCES_SUPPORTED', 'RESOURCE_TYPE_ASSIGNMENT_SUPPORTED',
  'PRICING_BILLING_CURRENCY_DIFFERENCES_SUPPORTED', 'VIRTUAL_CURRENCY_SUPPORTED', 'REGION_SUPPORTED', 'TAGGING_SUPPORTED',
] as const;
export type ApplicabilityCriterion = (typeof applicabilityCriteria)[number];

/**
 * What the broker's export claims, and why (the README's FOCUS section says the same):
 * - USAGE_MEASUREMENT: it meters what each turn consumed (ConsumedQuantity/Unit);
 * - UNIT_PRICING + PUBLIC_PRICE_LIST: every line is quantity × a unit price from the
 *   operator's price book, readable by the tenant (`GET /v1/prices`) — a price list
 *   "publicly or as part of contracting";
 * - BILLING_BASED_ON_PROVISIONED_RESOURCES + RESOURCE_TYPE_ASSIGNMENT: lines are per
 *   session (ResourceId), typed "Agent Session";
 * - TAGGING: lines carry the broker's own tags.
 * Not claimed: regions and zones (runtimes do not report them per session), sub
 * accounts, commitment discounts, capacity reservations, negotiated pricing (the
 * price book price IS the contracted price), several pricing categories (all
 * Standard), currencies other than USD, account or sub-account types.
 */
export const brokerClaims: readonly ApplicabilityCriterion[] = [
  'USAGE_MEASUREMENT_SUPPORTED', 'UNIT_PRICING_SUPPORTED', 'PUBLIC_PRICE_LIST_SUPPORTED',
  'BILLING_BASED_ON_PROVISIONED_RESOURCES_SUPPORTED', 'RESOURCE_TYPE_ASSIGNMENT_SUPPORTED', 'TAGGING_SUPPORTED',
];

export interface FocusOptions {
  version: FocusVersion;
  format: 'csv' | 'jsonl';
  claims: readonly ApplicabilityCriterion[];
  /** Tag key prefixes the provider publishes for its own tags; a key without one is user-defined. */
  providerTagPrefixes: readonly string[];
  /** The user-defined tag keys the export may carry unprefixed (none: every tag is the provider's). */
  userTagKeys?: readonly string[];
}

export interface FocusViolation {
  ruleId: string;
  keyword: string;
  text: string;
  /** Rows that broke it (0 for a dataset-level rule). */
  rows: number;
  example?: string;
}

export interface FocusReport {
  /** Distinct rules whose requirement was evaluated against the data. */
  evaluated: number;
  skipped: { notApplicable: number; columnAbsent: number; dynamic: number; noRequirement: number };
  errors: FocusViolation[];
  warnings: FocusViolation[];
}

interface Check {
  CheckFunction: string;
  Items?: Check[];
  ColumnName?: string;
  CheckCondition?: string;
  ColumnAName?: string;
  ColumnBName?: string;
  ResultColumnName?: string;
  Value?: string | number | null;
  ExpectedCount?: number;
  ModelRuleId?: string;
}

interface ModelRule {
  Function: string;
  Reference: string;
  EntityType: 'Column' | 'Dataset' | 'Attribute';
  ApplicabilityCriteria: string[];
  Type: 'Static' | 'Dynamic';
  ValidationCriteria: { MustSatisfy: string; Keyword: string; Requirement: Check | Record<string, never>; Condition: Check | Record<string, never> };
}

interface Model {
  ApplicabilityCriteria: Record<string, unknown>;
  CheckFunctions: Record<string, unknown>;
  ModelRules: Record<string, ModelRule>;
}

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
let cachedModel: Model | undefined;
export function focusModel(): Model {
  cachedModel ??= JSON.parse(readFileSync(path.join(root, 'test/data/focus-model/model-1.2.json'), 'utf8')) as Model;
  return cachedModel;
}
const currencyCodes = new Set(
  readFileSync(path.join(root, 'test/data/focus-model/currency_codes.csv'), 'utf8').trim().split('\n').slice(1).map((line) => line.split(',')[1].trim()),
);
const versionColumns = (version: FocusVersion) =>
  new Set(readFileSync(path.join(root, `test/data/focus-${version}-columns.csv`), 'utf8').trim().split('\n').slice(1).map((line) => line.split(',')[0]));

/** A JSON number kept as its source text (JSON Lines), so type checks can tell it from a decimal string. */
export class JsonNumber {
  constructor(readonly source: string) {}
}

const datetime = /^[0-9]{4}-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9]Z$/;
const decimalLiteral = /^[+-]?(\d+(\.\d*)?|\.\d+)$/;
const numericFormat = /^[+-]?([0-9]*[.])?[0-9]+$/;
const timeUnits = 'Seconds|Minutes|Hours|Days|Weeks|Months|Years';
/** UnitFormat's patterns: `<plural units>`, `<unit>-<plural time units>`, `<plural units>/<time unit>`, each optionally after a power of ten. */
const unitFormat = new RegExp(`^(?:1(?:0)* )?[A-Za-z][A-Za-z0-9]*(?: [A-Za-z][A-Za-z0-9]*)*(?:-(?:${timeUnits})|/(?:Second|Minute|Hour|Day|Week|Month|Year))?$`);
/** FOCUS 1.2's defined SKU price properties (SkuPriceDetails); anything else needs `x_`. */
const focusSkuPriceProperties = new Set([
  'CoreCount', 'DiskMaxIops', 'DiskMaxThroughput', 'DiskSpace', 'DiskType', 'ForwardedRequests', 'GpuCount', 'GpuMemory', 'InstanceSeries',
  'InstanceType', 'MemorySize', 'NetworkMaxIops', 'NetworkMaxThroughput', 'OperatingSystem', 'Redundancy', 'StorageClass',
]);

const cellText = (value: unknown): string | null => {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return value;
  if (value instanceof JsonNumber) return value.source;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
};

/** An exact decimal: an integer and its scale. */
function decimalOf(text: string): { digits: bigint; scale: number } | null {
  if (!decimalLiteral.test(text)) return null;
  const negative = text.startsWith('-');
  const [whole, fraction = ''] = text.replace(/^[+-]/, '').split('.');
  const digits = BigInt(`${whole || '0'}${fraction}`);
  return { digits: negative ? -digits : digits, scale: fraction.length };
}
const compareDecimals = (a: { digits: bigint; scale: number }, b: { digits: bigint; scale: number }) => {
  const left = a.digits * 10n ** BigInt(b.scale);
  const right = b.digits * 10n ** BigInt(a.scale);
  return left === right ? 0 : left < right ? -1 : 1;
};

/** An exact decimal as a bigint at a fixed scale of 10^-30 (prices ≤ 10 decimals × quantities ≤ 12 decimals fit). */
export function toFixed30(text: string): bigint {
  const match = /^(-?)(\d+)(?:\.(\d+))?$/.exec(text);
  if (!match) throw new Error(`not a decimal: ${text}`);
  const fraction = (match[3] ?? '').padEnd(30, '0');
  if (fraction.length > 30) throw new Error(`too many decimals: ${text}`);
  const value = BigInt(match[2] + fraction);
  return match[1] ? -value : value;
}

/**
 * KeyValueFormat: a serialized JSON object whose keys are unique and whose
 * values are string, number, true, false or null (never object or array).
 * JSON.parse would silently keep the last of two equal keys, so the object
 * is tokenised here.
 */
export function keyValueProblem(text: string): string | null {
  const token = /\s*("(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"|-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null|[{}:,[\]])\s*/y;
  const tokens: string[] = [];
  let at = 0;
  while (at < text.length) {
    token.lastIndex = at;
    const match = token.exec(text);
    if (!match) return 'not JSON';
    tokens.push(match[1]);
    at = token.lastIndex;
  }
  if (tokens[0] !== '{' || tokens.at(-1) !== '}') return 'not a JSON object';
  const keys = new Set<string>();
  let index = 1;
  if (tokens[index] === '}' && tokens.length === 2) return null;
  for (;;) {
    const key = tokens[index];
    if (!key?.startsWith('"') || tokens[index + 1] !== ':') return 'not a JSON object';
    const value = tokens[index + 2];
    if (value === '{' || value === '[') return `the value of ${key} is an object or array`;
    if (value === undefined || [':', ',', '}', ']'].includes(value)) return 'not a JSON object';
    const name = JSON.parse(key) as string;
    if (keys.has(name)) return `duplicate key ${key}`;
    keys.add(name);
    const next = tokens[index + 3];
    if (next === '}') return index + 4 === tokens.length ? null : 'not a JSON object';
    if (next !== ',') return 'not a JSON object';
    index += 4;
  }
}

type DynamicCheck = (rows: FocusRow[], options: FocusOptions) => string | null;
const tagKeys = (rows: FocusRow[]) =>
  rows.flatMap((row) => {
    const text = cellText(row.Tags);
    if (text === null || keyValueProblem(text)) return [];
    return Object.keys(JSON.parse(text) as object);
  });
const priceDetailKeys = (rows: FocusRow[]) =>
  rows.flatMap((row) => {
    const text = cellText(row.SkuPriceDetails);
    if (text === null || keyValueProblem(text)) return [];
    return Object.keys(JSON.parse(text) as object);
  });
/** Dynamic rules an export can be judged on by itself. */
const dynamicChecks: Record<string, DynamicCheck> = {
  'Tags-C-012-M': (rows, options) => {
    const unprefixed = [...new Set(tagKeys(rows))].filter((key) => !options.userTagKeys?.includes(key) && !options.providerTagPrefixes.some((prefix) => key.startsWith(prefix)));
    return unprefixed.length ? `provider tag keys without a provider prefix: ${unprefixed.join(', ')}` : null;
  },
  'SkuPriceDetails-C-017-C': (rows) => {
    const bad = [...new Set(priceDetailKeys(rows))].filter((key) => !key.startsWith('x_') && !focusSkuPriceProperties.has(key));
    return bad.length ? `keys neither FOCUS-defined nor x_-prefixed: ${bad.join(', ')}` : null;
  },
  'SkuPriceDetails-C-002-O': (rows) => {
    const bad = [...new Set(priceDetailKeys(rows))].filter((key) => !/^(x_)?[A-Z][A-Za-z0-9]*$/.test(key));
    return bad.length ? `keys not in PascalCase: ${bad.join(', ')}` : null;
  },
  'SkuMeter-C-006-O': (rows) => {
    const meters = new Map<string, Set<string | null>>();
    for (const row of rows) {
      const sku = cellText(row.SkuId);
      if (sku !== null) meters.set(sku, (meters.get(sku) ?? new Set()).add(cellText(row.SkuMeter)));
    }
    const bad = [...meters].filter(([, values]) => values.size > 1).map(([sku]) => sku);
    return bad.length ? `SkuIds with more than one SkuMeter: ${bad.join(', ')}` : null;
  },
};

const isError = (keyword: string) => keyword === 'MUST' || keyword === 'MUST NOT';
const isEmpty = (check: object) => Object.keys(check).length === 0;

interface Outcome {
  ok: boolean;
  fails: string[];
}
const pass: Outcome = { ok: true, fails: [] };

/** Validates a whole export (header and rows) against the model, as the version and the claims say. */
export function validateFocus(dataset: { columns: string[]; rows: FocusRow[] }, options: FocusOptions): FocusReport {
  const model = focusModel();
  const rules = model.ModelRules;
  const claims = new Set<string>(options.claims);
  const present = new Set(dataset.columns);
  const evaluated = new Set<string>();
  const skipped = { notApplicable: new Set<string>(), columnAbsent: new Set<string>(), dynamic: new Set<string>(), noRequirement: new Set<string>() };
  const failures = new Map<string, { rows: number; example?: string }>();
  const distinctCounts = new Map<string, boolean>();

  const fail = (ruleId: string, row: FocusRow | null, example?: string) => {
    const entry = failures.get(ruleId) ?? { rows: 0 };
    if (row) entry.rows += 1;
    entry.example ??= example;
    failures.set(ruleId, entry);
  };

  /** One check on one row (null: the dataset pass, where only dataset-level checks run). */
  const check = (node: Check, row: FocusRow | null): Outcome => {
    const rowLevel = (test: (row: FocusRow) => boolean): Outcome => (row === null ? pass : { ok: test(row), fails: [] });
    const column = node.ColumnName ?? node.CheckCondition ?? '';
    const value = (row: FocusRow, name: string) => cellText(row[name]);
    const raw = (row: FocusRow) => row[column];
    switch (node.CheckFunction) {
      case 'AND': {
        const outcomes = node.Items!.map((item) => check(item, row));
        return { ok: outcomes.every((outcome) => outcome.ok), fails: outcomes.flatMap((outcome) => outcome.fails) };
      }
      case 'OR': {
        const outcomes = node.Items!.map((item) => check(item, row));
        return outcomes.some((outcome) => outcome.ok) ? { ok: true, fails: outcomes.flatMap((outcome) => outcome.fails.filter((id) => !isError(rules[id].ValidationCriteria.Keyword))) } : { ok: false, fails: outcomes.flatMap((outcome) => outcome.fails) };
      }
      case 'CheckModelRule':
        return rule(node.ModelRuleId!, row);
      case 'ColumnPresent':
        return row === null ? { ok: present.has(column), fails: [] } : pass;
      case 'CheckDistinctCount': {
        if (row !== null) return pass;
        const key = `${node.ColumnAName}|${node.ColumnBName}|${node.ExpectedCount}`;
        if (!distinctCounts.has(key)) {
          const groups = new Map<string | null, Set<string | null>>();
          for (const line of dataset.rows) {
            const group = value(line, node.ColumnAName!);
            groups.set(group, (groups.get(group) ?? new Set()).add(value(line, node.ColumnBName!)));
          }
          distinctCounts.set(key, [...groups.values()].every((values) => values.size === node.ExpectedCount));
        }
        return { ok: distinctCounts.get(key)!, fails: [] };
      }
      case 'CheckValue':
        return rowLevel((line) => value(line, column) === (node.Value === null ? null : String(node.Value)));
      case 'CheckNotValue':
        return rowLevel((line) => (node.Value === null ? value(line, column) !== null : value(line, column) !== String(node.Value)));
      case 'CheckSameValue':
      case 'CheckNotSameValue':
        return rowLevel((line) => {
          const [a, b] = [value(line, node.ColumnAName!), value(line, node.ColumnBName!)];
          return a === null || b === null || (a === b) === (node.CheckFunction === 'CheckSameValue');
        });
      case 'TypeString':
        return rowLevel((line) => raw(line) === null || raw(line) === undefined || typeof raw(line) === 'string');
      case 'TypeDecimal':
        // A JSON number would be a float to most readers: JSON Lines carry decimals as strings.
        return rowLevel((line) => value(line, column) === null || (typeof raw(line) === 'string' && decimalLiteral.test(raw(line) as string)));
      case 'CheckDecimalValue':
        return rowLevel((line) => value(line, column) === null || decimalLiteral.test(value(line, column)!));
      case 'TypeDateTime':
      case 'FormatDateTime':
        return rowLevel((line) => value(line, column) === null || datetime.test(value(line, column)!));
      case 'FormatNumeric':
        return rowLevel((line) => value(line, column) === null || numericFormat.test(value(line, column)!.trim()));
      case 'FormatString':
        return rowLevel((line) => value(line, column) === null || /^[\x00-\x7f]*$/.test(value(line, column)!));
      case 'FormatUnit':
        return rowLevel((line) => value(line, column) === null || unitFormat.test(value(line, column)!));
      case 'FormatCurrency':
        return rowLevel((line) => value(line, column) === null || /^[A-Z]{3}$/.test(value(line, column)!.trim()));
      case 'CheckNationalCurrency':
        return rowLevel((line) => value(line, column) === null || currencyCodes.has(value(line, column)!.trim()));
      case 'FormatKeyValue':
        return rowLevel((line) => {
          if (raw(line) === null || raw(line) === undefined) return true;
          // KeyValueFormat is a serialized JSON string, in JSON Lines too (not a nested object).
          if (typeof raw(line) !== 'string') return false;
          return keyValueProblem(raw(line) as string) === null;
        });
      case 'CheckGreaterOrEqualThanValue':
        return rowLevel((line) => {
          const text = value(line, column);
          const number = text === null ? null : decimalOf(text);
          return text === null || (number !== null && compareDecimals(number, decimalOf(String(node.Value))!) >= 0);
        });
      case 'ColumnByColumnEqualsColumnValue':
        return rowLevel((line) => {
          const [a, b, result] = [node.ColumnAName!, node.ColumnBName!, node.ResultColumnName!].map((name) => value(line, name));
          if (a === null || b === null || result === null) return true;
          const [x, y, z] = [decimalOf(a), decimalOf(b), decimalOf(result)];
          if (!x || !y || !z) return false;
          return compareDecimals({ digits: x.digits * y.digits, scale: x.scale + y.scale }, z) === 0;
        });
      default:
        throw new Error(`the model uses a CheckFunction this validator does not know: ${node.CheckFunction}`);
    }
  };

  const rule = (id: string, row: FocusRow | null): Outcome => {
    const spec = rules[id];
    if (!spec) throw new Error(`the model references an unknown rule ${id}`);
    if (!spec.ApplicabilityCriteria.every((criterion) => claims.has(criterion))) {
      skipped.notApplicable.add(id);
      return pass;
    }
    if (spec.EntityType === 'Column' && !present.has(spec.Reference)) {
      skipped.columnAbsent.add(id);
      return pass;
    }
    const { Requirement: requirement, Condition: condition, Keyword: keyword } = spec.ValidationCriteria;
    if (row !== null && !isEmpty(condition) && !check(condition as Check, row).ok) return pass;
    if (spec.Function === 'Composite') return isEmpty(requirement) ? pass : check(requirement as Check, row);
    if (spec.Type === 'Dynamic' || isEmpty(requirement)) {
      const dynamic = dynamicChecks[id];
      if (!dynamic) {
        (spec.Type === 'Dynamic' ? skipped.dynamic : skipped.noRequirement).add(id);
        return pass;
      }
      if (row !== null) return pass;
      evaluated.add(id);
      const problem = dynamic(dataset.rows, options);
      if (problem === null) return pass;
      fail(id, null, problem);
      return { ok: !isError(keyword), fails: [id] };
    }
    evaluated.add(id);
    const outcome = check(requirement as Check, row);
    if (outcome.ok) return pass;
    return { ok: !isError(keyword), fails: [id] };
  };

  const record = (row: FocusRow | null) => {
    const outcome = rule('CostAndUsage-D-000-M', row);
    for (const id of new Set(outcome.fails)) fail(id, row, row ? JSON.stringify(row).slice(0, 300) : undefined);
  };
  record(null);
  for (const row of dataset.rows) record(row);

  const report: FocusReport = {
    evaluated: evaluated.size,
    skipped: { notApplicable: skipped.notApplicable.size, columnAbsent: skipped.columnAbsent.size, dynamic: skipped.dynamic.size, noRequirement: skipped.noRequirement.size },
    errors: [],
    warnings: [],
  };
  for (const [ruleId, { rows, example }] of failures) {
    const { Keyword: keyword, MustSatisfy: text } = rules[ruleId].ValidationCriteria;
    if (keyword === 'MAY') continue;
    (isError(keyword) ? report.errors : report.warnings).push({ ruleId, keyword, text, rows, example });
  }
  for (const violation of extraChecks(dataset, options)) report.errors.push(violation);
  // x_ naming and unique names; in 1.3, presence, non-null and String for each of the two provider columns.
  report.evaluated += 2 + (options.version === '1.3' ? 6 : 0);
  return report;
}

/** The 1.3 additions and custom-column naming: rules the 1.2 model does not hold. */
function extraChecks(dataset: { columns: string[]; rows: FocusRow[] }, options: FocusOptions): FocusViolation[] {
  const violations: FocusViolation[] = [];
  const add = (ruleId: string, text: string, rows: number, example?: string) => violations.push({ ruleId, keyword: 'MUST', text, rows, example });
  const known = versionColumns(options.version);
  const custom = dataset.columns.filter((column) => !known.has(column) && !column.startsWith('x_'));
  if (custom.length) add('ColumnHandling-custom-x_', `custom columns MUST be x_-prefixed: ${custom.join(', ')}`, 0);
  if (new Set(dataset.columns).size !== dataset.columns.length) add('ColumnHandling-unique', 'column names MUST be unique', 0);
  if (options.version === '1.3') {
    for (const column of ['ServiceProviderName', 'HostProviderName']) {
      if (!dataset.columns.includes(column)) {
        add(`1.3-${column}-present`, `${column} MUST be present in a FOCUS 1.3 dataset`, 0);
        continue;
      }
      const nulls = dataset.rows.filter((row) => cellText(row[column]) === null);
      if (nulls.length) add(`1.3-${column}-not-null`, `${column} MUST NOT be null (FOCUS 1.3)`, nulls.length, JSON.stringify(nulls[0]).slice(0, 300));
      const notText = dataset.rows.filter((row) => row[column] !== null && row[column] !== undefined && typeof row[column] !== 'string');
      if (notText.length) add(`1.3-${column}-string`, `${column} MUST be of type String (FOCUS 1.3)`, notText.length);
    }
  }
  return violations;
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

export type FocusCsvRow = Record<string, string | null>;
/** A FOCUS CSV body as header + rows of column → value (empty field → null). */
export function parseFocusCsv(text: string): { columns: string[]; rows: FocusCsvRow[] } {
  const [columns, ...records] = parseCsv(text);
  return { columns, rows: records.map((record) => Object.fromEntries(columns.map((column, index) => [column, record[index] === '' ? null : record[index]]))) };
}

/** A FOCUS JSON Lines body: numbers stay JsonNumber (their exact source text), so a type check can see them. */
export function parseFocusJsonl(text: string): { columns: string[]; rows: FocusRow[] } {
  const rows = text
    .trim()
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line, (_key, value: unknown, context?: { source?: string }) => (typeof value === 'number' ? new JsonNumber(context?.source ?? String(value)) : value)) as FocusRow);
  return { columns: rows.length ? Object.keys(rows[0]) : [], rows };
}

/** Every problem as one line each (for assertion messages). */
export const describeFocusReport = (report: FocusReport, { warnings = false } = {}) =>
  [...report.errors, ...(warnings ? report.warnings : [])].map((violation) => `${violation.ruleId} (${violation.keyword}, ${violation.rows} rows): ${violation.text}${violation.example ? ` — ${violation.example}` : ''}`);

/** A parsed row as text cells (numbers by their source text, objects serialized), for assertions on values. */
export const textRow = (row: FocusRow): Record<string, string | null> => Object.fromEntries(Object.entries(row).map(([column, value]) => [column, cellText(value)]));
