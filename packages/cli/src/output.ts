/** How results are shown: tables for people, JSON (`--json`) for scripts. */
export interface Output {
  json: boolean;
}

type Row = Record<string, unknown>;

const cell = (value: unknown): string => {
  if (value === null || value === undefined) return '-';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return JSON.stringify(value);
};

/** Aligned columns with a header; the columns picked by the command, in order. */
export function table(rows: Row[], columns: string[]): string {
  const cells = rows.map((row) => columns.map((column) => cell(column.split('.').reduce<unknown>((value, key) => (value as Row | undefined)?.[key], row))));
  const widths = columns.map((column, index) => Math.max(column.length, ...cells.map((line) => line[index].length)));
  const line = (values: string[]) => values.map((value, index) => value.padEnd(widths[index])).join('  ').trimEnd();
  return [line(columns.map((column) => column.toUpperCase())), ...cells.map(line)].join('\n');
}

/** One object as `key  value` lines. */
export function details(object: Row): string {
  const width = Math.max(...Object.keys(object).map((key) => key.length));
  return Object.entries(object)
    .map(([key, value]) => `${key.padEnd(width)}  ${cell(value)}`)
    .join('\n');
}

export function printList(output: Output, rows: Row[], columns: string[]): void {
  if (output.json) console.log(JSON.stringify(rows, null, 2));
  else if (rows.length === 0) console.log('(none)');
  else console.log(table(rows, columns));
}

export function printObject(output: Output, object: object): void {
  console.log(output.json ? JSON.stringify(object, null, 2) : details(object as Row));
}

/**
 * Bytes received so far on stderr, redrawn in place, only on a terminal:
 * piped stderr (scripts, CI logs) stays clean.
 */
export function progress(label: string): { add(bytes: number): void; done(): void } {
  if (!process.stderr.isTTY) return { add() {}, done() {} };
  let total = 0;
  let drawn = 0;
  const draw = () => process.stderr.write(`\r${label}: ${(total / 1024).toFixed(1)} KiB`);
  return {
    add(bytes) {
      total += bytes;
      if (Date.now() - drawn > 100) {
        drawn = Date.now();
        draw();
      }
    },
    done() {
      draw();
      process.stderr.write('\n');
    },
  };
}
