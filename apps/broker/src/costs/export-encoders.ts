import type { ExportRow } from './cost.repository.js';
import type { ExportContext, ExportColumn } from './focus-columns.js';

/** Turns charge lines into the bytes of one export format; `header` is written once, first. */
export interface ExportEncoder {
  contentType: string;
  extension: string;
  header(): string;
  rows(rows: ExportRow[], context: ExportContext): string;
}

/** RFC 4180: a field with a comma, quote or line break is quoted, quotes doubled. */
export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

/**
 * A cell a spreadsheet would read as a formula starts with one of these
 * (OWASP "CSV Injection": = + - @, tab, carriage return; the full-width
 * forms too, which some spreadsheet applications fold into the ASCII ones).
 */
const formulaTrigger = /^[=+\-@\t\r\uff1d\uff0b\uff0d\uff20]/;

/**
 * A text cell that cannot run as a formula when finance opens the file in a
 * spreadsheet (OWASP "CSV Injection"): one that starts like a formula gets a
 * leading `'`, and a cell holding `;` or a tab is quoted, so a reader that
 * splits on those (a locale's separator) cannot start a new cell inside it.
 * Only cells that carry text from outside (user ids, names, tags) go through
 * here; the broker's own decimals keep their sign.
 */
export function csvTextField(value: string): string {
  const neutral = formulaTrigger.test(value) ? `'${value}` : value;
  return /[",;\t\r\n]/.test(neutral) || neutral !== value ? `"${neutral.replaceAll('"', '""')}"` : neutral;
}

const csvValue = (column: ExportColumn, value: ReturnType<ExportColumn['value']>) => {
  if (value === null) return '';
  if (column.kind === 'decimal') return csvField(value as string);
  return csvTextField(column.kind === 'json' ? JSON.stringify(value) : (value as string));
};

/**
 * JSON carries decimals as strings (the API's rule for money and quantities:
 * a JSON number is a float to most readers) and key-value columns as the
 * serialized JSON object FOCUS's KeyValueFormat asks for, not a nested object.
 */
const jsonValue = (column: ExportColumn, value: ReturnType<ExportColumn['value']>) => {
  if (value === null) return 'null';
  return JSON.stringify(column.kind === 'json' ? JSON.stringify(value) : value);
};

export function csvEncoder(columns: ExportColumn[]): ExportEncoder {
  return {
    contentType: 'text/csv; charset=utf-8',
    extension: 'csv',
    header: () => `${columns.map((column) => csvField(column.name)).join(',')}\r\n`,
    rows: (rows, context) => rows.map((row) => `${columns.map((column) => csvValue(column, column.value(row, context))).join(',')}\r\n`).join(''),
  };
}

export function jsonLinesEncoder(columns: ExportColumn[]): ExportEncoder {
  const keys = columns.map((column) => JSON.stringify(column.name));
  return {
    contentType: 'application/x-ndjson; charset=utf-8',
    extension: 'jsonl',
    header: () => '',
    rows: (rows, context) =>
      rows.map((row) => `{${columns.map((column, index) => `${keys[index]}:${jsonValue(column, column.value(row, context))}`).join(',')}}\n`).join(''),
  };
}
