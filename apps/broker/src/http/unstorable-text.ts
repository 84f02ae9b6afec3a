import type { FieldProblem } from '#libs/errors';

/**
 * Deeper than this, a request part is refused: later steps recurse over it
 * (`JSON.stringify` in schemas and in the pg driver) and would overflow the
 * stack. Real bodies nest a handful of levels.
 */
export const maxNestingDepth = 64;

/** A hostile body can hold a million bad strings; the answer lists the first ones. */
const maxProblemsListed = 20;

/** In unicode mode a valid pair is one code point, so only an unpaired half matches. */
const loneSurrogate = /\p{Surrogate}/u;

/**
 * Why a string cannot be stored, if it cannot: PostgreSQL refuses NUL
 * (U+0000) in text and jsonb, and a lone UTF-16 surrogate is not Unicode
 * (jsonb refuses `\ud800`; text would silently get U+FFFD instead).
 */
function unstorable(text: string): string | undefined {
  if (text.includes('\u0000')) return 'contains a NUL character (U+0000)';
  if (loneSurrogate.test(text)) return 'contains an unpaired UTF-16 surrogate, which is not Unicode text';
  return undefined;
}

/** A path segment as it can be shown: the offending characters escaped as in JSON. */
const shown = (segment: string) => (unstorable(segment) ? JSON.stringify(segment).slice(1, -1) : segment);

/** An object or array still to walk; its path is built only if a problem is found under it. */
interface Container {
  value: object;
  parent: Container | undefined;
  key: string;
  depth: number;
}

const pathOf = (container: Container | undefined, key: string): string => {
  const segments = [shown(key)];
  for (let at = container; at; at = at.parent) segments.push(shown(at.key));
  return segments.reverse().join('.');
};

/**
 * Every string in the given request parts (object keys included, at any
 * depth) that the database could not store, and every part nested deeper
 * than `maxNestingDepth`, each at its dotted path (`body.metadata.note`).
 * Iterative, so a deep body cannot overflow the stack here either, and
 * allocation-light: it runs on every request (a 1 MiB body takes a few ms).
 */
export function unstorableTextProblems(parts: Record<string, unknown>): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const pending: Container[] = [];
  const visit = (value: unknown, parent: Container | undefined, key: string, depth: number) => {
    if (typeof value === 'string') {
      const why = unstorable(value);
      if (why) problems.push({ path: pathOf(parent, key), message: why });
    } else if (typeof value === 'object' && value !== null) {
      if (depth > maxNestingDepth) problems.push({ path: pathOf(parent, key), message: `nests deeper than ${maxNestingDepth} levels` });
      else pending.push({ value, parent, key, depth });
    }
  };
  // Objects and arrays wait on a stack, pushed in reverse so that problems come out in document order.
  for (const part of Object.keys(parts).reverse()) visit(parts[part], undefined, part, 0);
  for (let container = pending.pop(); container && problems.length < maxProblemsListed; container = pending.pop()) {
    const { value, depth } = container;
    const waiting = pending.length;
    if (Array.isArray(value)) {
      for (let index = 0; index < value.length; index++) visit(value[index], container, String(index), depth + 1);
    } else {
      for (const key of Object.keys(value)) {
        const why = unstorable(key);
        if (why) problems.push({ path: pathOf(container, key), message: `the key ${why}` });
        visit((value as Record<string, unknown>)[key], container, key, depth + 1);
      }
    }
    // This container's children were pushed in order; reversed, they pop in order (in place: there may be 100,000s).
    for (let low = waiting, high = pending.length - 1; low < high; low++, high--) [pending[low], pending[high]] = [pending[high], pending[low]];
  }
  return problems.slice(0, maxProblemsListed);
}
