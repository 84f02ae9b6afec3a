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

const csvValue = (column: ExportColumn, value: ReturnType<ExportColumn['value']>) => {
  if (value === null) return '';
  return csvField(column.kind === 'json' ? JSON.stringify(value) : (value as string));
};

/** JSON keeps decimals as number literals with every digit (the text is copied, never parsed into a float). */
const jsonValue = (column: ExportColumn, value: ReturnType<ExportColumn['value']>) => {
  if (value === null) return 'null';
  if (column.kind === 'decimal') return value as string;
  return JSON.stringify(value);
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
