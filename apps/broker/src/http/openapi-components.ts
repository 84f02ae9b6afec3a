import { z } from 'zod';

export type JsonSchema = Record<string, unknown>;

/** Where a named schema lives in the OpenAPI document. */
export const componentRef = (id: string) => `#/components/schemas/${id}`;

const defsPrefix = '#/$defs/';

/** zod points at `#/$defs/<id>`; in the document those are components. */
function pointAtComponents(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(pointAtComponents);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, child]) => [
      key,
      key === '$ref' && typeof child === 'string' && child.startsWith(defsPrefix) ? componentRef(child.slice(defsPrefix.length)) : pointAtComponents(child),
    ]),
  );
}

/**
 * The named schemas of the document (components/schemas). A zod schema named
 * with `.meta({ id })` is rendered once, here, and referenced by `$ref`
 * wherever a route uses it: zod extracts it as a `$def`, which this collects.
 *
 * A name is one shape: a schema that renders differently as a request
 * (input: defaults make fields optional) and as a response (output) cannot
 * share its name, so that is refused when the document is built rather than
 * one of the two shapes silently winning.
 */
export class ComponentSchemas {
  private readonly schemas = new Map<string, { json: JsonSchema; text: string; io: 'input' | 'output' }>();

  /** The JSON Schema of `schema` as a request (`input`) or response (`output`) part, named parts as `$ref`s. */
  render(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
    const { $schema: _dialect, $defs, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as JsonSchema & { $defs?: Record<string, JsonSchema> };
    for (const [id, def] of Object.entries($defs ?? {})) this.add(id, pointAtComponents(def) as JsonSchema, io);
    return pointAtComponents(rest) as JsonSchema;
  }

  private add(id: string, json: JsonSchema, io: 'input' | 'output'): void {
    // zod names a schema `__schemaN` only to break a cycle: such a name would differ from one route to the next.
    if (id.startsWith('__schema')) throw new Error(`a recursive schema needs a name (.meta({ id })) to appear in the OpenAPI document`);
    const text = JSON.stringify(json);
    const known = this.schemas.get(id);
    if (known && known.text !== text) {
      throw new Error(`the schema named ${id} renders differently as ${known.io} and as ${io}: give one of them its own name (.meta({ id }))`);
    }
    this.schemas.set(id, { json, text, io });
  }

  /** Every named schema, by name. */
  all(): Record<string, JsonSchema> {
    return Object.fromEntries([...this.schemas.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([id, { json }]) => [id, json]));
  }
}

type TaggedOption<Key extends string> = z.ZodObject<Record<Key, z.ZodLiteral<string>> & z.ZodRawShape>;

/**
 * A union told apart by its `key` field, named `id`, with OpenAPI's
 * `discriminator` (zod itself emits only `oneOf`): each value of `key` maps
 * to its option's component, so generators produce a tagged union. Every
 * option must be named (`.meta({ id })`) and fix `key` with a literal.
 */
export function taggedUnion<Key extends string, const Options extends readonly [TaggedOption<Key>, ...TaggedOption<Key>[]]>(
  key: Key,
  options: Options,
  meta: { id: string; description: string },
) {
  const mapping: Record<string, string> = {};
  for (const option of options) {
    const id = z.globalRegistry.get(option)?.id;
    if (!id) throw new Error(`every option of ${meta.id} needs a name (.meta({ id }))`);
    mapping[String(option.shape[key].value)] = componentRef(id);
  }
  return z.discriminatedUnion(key, options).meta({ ...meta, discriminator: { propertyName: key, mapping } });
}
