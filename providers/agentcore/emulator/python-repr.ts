/**
 * A Python object as `repr()` prints it, for what BedrockAgentCoreApp
 * writes when JSON cannot encode a yielded value: `json.dumps(str(value))`.
 * Plain data follows Python's rules (dicts `{'k': v}`, single-quoted strings
 * unless they hold a `'` and no `"`, `True`/`False`/`None`); a
 * {@link PythonObject} stands for whatever has no JSON form (the Agent, a
 * UUID, a dataclass) and prints as its own repr.
 */
export class PythonObject {
  constructor(readonly repr: string) {}
}

export function pythonRepr(value: unknown): string {
  if (value instanceof PythonObject) return value.repr;
  if (value === null || value === undefined) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : pythonFloat(value);
  if (typeof value === 'string') return pythonString(value);
  if (Array.isArray(value)) return `[${value.map(pythonRepr).join(', ')}]`;
  if (typeof value === 'object') {
    return `{${Object.entries(value as Record<string, unknown>)
      .map(([key, item]) => `${pythonString(key)}: ${pythonRepr(item)}`)
      .join(', ')}}`;
  }
  return pythonString(typeof value === 'bigint' ? value.toString() : typeof value);
}

/** A dataclass instance's default repr: `Name(field=value, ...)`. */
export function dataclassRepr(name: string, fields: Record<string, unknown>): PythonObject {
  return new PythonObject(`${name}(${Object.entries(fields).map(([key, item]) => `${key}=${pythonRepr(item)}`).join(', ')})`);
}

function pythonString(text: string): string {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  const escaped = text.replace(/[\\\n\r\t]/g, (char) => ({ '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' })[char]!);
  return `${quote}${quote === "'" ? escaped.replaceAll("'", "\\'") : escaped}${quote}`;
}

function pythonFloat(value: number): string {
  const text = String(value);
  return text.includes('.') || text.includes('e') ? text : `${text}.0`;
}
