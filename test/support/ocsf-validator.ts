import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Validates OCSF events against the schema source vendored in
 * test/data/ocsf-schema (ocsf/ocsf-schema, Apache-2.0), checking what the
 * OCSF server's event validator checks:
 * - a class's attributes come from the class, its `extends` chain and the
 *   dictionary (enums merge along the chain, as the server compiles them);
 *   objects are checked recursively;
 * - required attributes present, no unknown attribute, primitive types, enum
 *   values listed;
 * - enum sibling captions: `activity_name`, `status`, `severity`, `type`…
 *   equal the caption of their `*_id` (free text only for 99 Other);
 * - constraints of classes and objects: `at_least_one`, `just_one`;
 * - observables: `type_id` is one of the schema's observable types (the
 *   dictionary's types and attributes and the objects that carry an
 *   `observable` number — not only observable.json's 0/99), `type` is its
 *   caption, `name` points at an attribute of the event whose value is
 *   `value`, and an attribute that has an observable type of its own is
 *   observed with that type;
 * - version compatibility: `metadata.version` has the schema's major and a
 *   minor no newer than the schema's;
 * - class, category and type uids agree.
 * Profiles are not applied (the exporter declares none).
 */
const schemaRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../test/data/ocsf-schema');

type EnumSpec = Record<string, { caption?: string }>;
type AttributeSpec = { requirement?: string; enum?: EnumSpec; type?: string; is_array?: boolean; sibling?: string; caption?: string; observable?: number };
type Constraints = { at_least_one?: string[]; just_one?: string[] };
type Definition = { name: string; caption?: string; uid?: number; extends?: string; category?: string; attributes: Record<string, unknown>; constraints?: Constraints; observable?: number };

const read = (relative: string) => JSON.parse(readFileSync(path.join(schemaRoot, relative), 'utf8')) as Record<string, unknown>;
const dictionary = read('dictionary.json') as { attributes: Record<string, AttributeSpec>; types: { attributes: Record<string, { caption?: string; observable?: number; type?: string }> } };
const categories = read('categories.json') as { attributes: Record<string, { uid: number }> };
const schemaVersion = (read('version.json') as { version: string }).version;
const primitiveTypes = new Set(Object.keys(dictionary.types.attributes));

const mergeSpecs = (inherited: AttributeSpec | undefined, own: AttributeSpec): AttributeSpec => ({
  ...(inherited ?? {}),
  ...own,
  ...(inherited?.enum || own.enum ? { enum: { ...(inherited?.enum ?? {}), ...(own.enum ?? {}) } } : {}),
});

function attributesOf(definition: Definition, findParent: (name: string) => Definition | undefined): Record<string, AttributeSpec> {
  const parent = definition.extends ? findParent(definition.extends) : undefined;
  const inherited = parent ? attributesOf(parent, findParent) : {};
  const all: Record<string, AttributeSpec> = { ...inherited };
  for (const [name, spec] of Object.entries(definition.attributes)) {
    if (name === '$include' || typeof spec !== 'object' || spec === null) continue;
    // The dictionary's enum is the base; the class or object may add values.
    const base = inherited[name] ?? (dictionary.attributes[name]?.enum ? { enum: dictionary.attributes[name].enum } : undefined);
    all[name] = mergeSpecs(base, spec);
  }
  return all;
}

function constraintsOf(definition: Definition, findParent: (name: string) => Definition | undefined): Constraints | undefined {
  if (definition.constraints) return definition.constraints;
  const parent = definition.extends ? findParent(definition.extends) : undefined;
  return parent && constraintsOf(parent, findParent);
}

const eventCache = new Map<string, Definition | undefined>();
function findEvent(name: string): Definition | undefined {
  if (eventCache.has(name)) return eventCache.get(name);
  let found: Definition | undefined;
  if (name === 'base_event') found = read('events/base_event.json') as unknown as Definition;
  for (const category of Object.keys(categories.attributes)) {
    if (found) break;
    try {
      found = read(`events/${category}/${name}.json`) as unknown as Definition;
    } catch {
      // not in this category
    }
  }
  eventCache.set(name, found);
  return found;
}

const objectCache = new Map<string, Definition | undefined>();
function findObject(name: string): Definition | undefined {
  if (!objectCache.has(name)) {
    try {
      objectCache.set(name, read(`objects/${name}.json`) as unknown as Definition);
    } catch {
      objectCache.set(name, undefined);
    }
  }
  return objectCache.get(name);
}

/** Every observable type the schema defines, type_id → caption (the OCSF server compiles the same list). */
export const observableTypes: Map<number, string> = (() => {
  const types = new Map<number, string>([[0, 'Unknown'], [99, 'Other']]);
  for (const spec of Object.values(dictionary.types.attributes)) if (spec.observable !== undefined) types.set(spec.observable, spec.caption ?? '');
  for (const [name, spec] of Object.entries(dictionary.attributes)) if (spec.observable !== undefined) types.set(spec.observable, spec.caption ?? name);
  for (const file of readdirSafe('objects')) {
    const object = read(`objects/${file}`) as unknown as Definition;
    if (object.observable !== undefined) types.set(object.observable, object.caption ?? object.name);
    for (const [name, spec] of Object.entries(object.attributes)) {
      const attribute = spec as AttributeSpec;
      if (typeof spec === 'object' && spec !== null && attribute.observable !== undefined) {
        types.set(attribute.observable, `${object.caption ?? object.name}: ${attribute.caption ?? dictionary.attributes[name]?.caption ?? name}`);
      }
    }
  }
  return types;
})();

function readdirSafe(relative: string): string[] {
  return readdirSync(path.join(schemaRoot, relative)).filter((file) => file.endsWith('.json'));
}

function typeCheck(value: unknown, type: string): boolean {
  switch (type) {
    case 'integer_t':
    case 'long_t':
    case 'timestamp_t':
      return Number.isInteger(value);
    case 'port_t':
      return Number.isInteger(value) && (value as number) >= 0 && (value as number) <= 65535;
    case 'float_t':
      return typeof value === 'number';
    case 'boolean_t':
      return typeof value === 'boolean';
    case 'json_t':
      return true;
    case 'ip_t':
      return typeof value === 'string' && (/^(\d{1,3}\.){3}\d{1,3}$/.test(value) || (value.includes(':') && /^[0-9a-fA-F:.]+$/.test(value)));
    default:
      return typeof value === 'string';
  }
}

/** The observable type an attribute has of its own: on the object's attribute, the dictionary attribute, or its type. */
function ownObservable(spec: AttributeSpec, name: string): number | undefined {
  const dictionarySpec = dictionary.attributes[name] ?? {};
  const type = spec.type ?? dictionarySpec.type;
  return spec.observable ?? dictionarySpec.observable ?? (type ? dictionary.types.attributes[type]?.observable : undefined);
}

interface Context {
  problems: string[];
  /** Attribute path (`actor.user.uid`, `resources[0].uid`) → its value and own observable type. */
  paths: Map<string, { value: unknown; observable?: number }>;
}

function checkObject(value: Record<string, unknown>, definition: Definition, attributes: Record<string, AttributeSpec>, where: string, path: string, context: Context, findParent: (name: string) => Definition | undefined): void {
  const { problems } = context;
  for (const [name, spec] of Object.entries(attributes)) {
    if (spec.requirement === 'required' && value[name] === undefined) problems.push(`${where}.${name} is required`);
  }
  const constraints = constraintsOf(definition, findParent);
  const present = (names: string[]) => names.filter((name) => value[name] !== undefined && value[name] !== null);
  if (constraints?.at_least_one && present(constraints.at_least_one).length === 0) problems.push(`${where} needs at least one of ${constraints.at_least_one.join(', ')}`);
  if (constraints?.just_one && present(constraints.just_one).length !== 1) problems.push(`${where} needs exactly one of ${constraints.just_one.join(', ')}`);
  for (const [name, member] of Object.entries(value)) {
    if (member === undefined) continue;
    const spec = attributes[name];
    if (!spec) {
      problems.push(`${where}.${name} is not an attribute here`);
      continue;
    }
    const dictionarySpec = dictionary.attributes[name] ?? {};
    const type = spec.type ?? dictionarySpec.type ?? 'string_t';
    const isArray = spec.is_array ?? dictionarySpec.is_array ?? false;
    // The server compiles these enums per class and from every observable the schema defines: checked on their own below.
    const enumValues = ['category_uid', 'class_uid', 'type_uid'].includes(name) || (definition.name === 'observable' && name === 'type_id') ? undefined : spec.enum;
    const sibling = spec.sibling ?? dictionarySpec.sibling;
    const items = isArray ? (Array.isArray(member) ? member : (problems.push(`${where}.${name} must be an array`), [])) : [member];
    for (const [index, item] of items.entries()) {
      const itemWhere = isArray ? `${where}.${name}[${index}]` : `${where}.${name}`;
      const itemPath = isArray ? `${path}${name}[${index}]` : `${path}${name}`;
      if (primitiveTypes.has(type) || type === 'object') {
        context.paths.set(itemPath, { value: item, observable: ownObservable(spec, name) });
        const baseType = dictionary.types.attributes[type]?.type ?? type;
        if (type !== 'object' && !(typeCheck(item, type) || (type !== baseType && typeCheck(item, baseType) && !['ip_t', 'port_t'].includes(type)))) problems.push(`${itemWhere} must be ${type}`);
        if (enumValues) {
          const entry = enumValues[String(item)];
          if (!entry) problems.push(`${itemWhere} = ${String(item)} is not in its enum`);
          else if (sibling && value[sibling] !== undefined && String(item) !== '99' && value[sibling] !== entry.caption) {
            problems.push(`${where}.${sibling} = ${JSON.stringify(value[sibling])} is not the caption of ${name} ${String(item)} (${JSON.stringify(entry.caption)})`);
          }
        }
        continue;
      }
      const objectDefinition = findObject(type);
      if (!objectDefinition) {
        problems.push(`${itemWhere}: unknown object type ${type}`);
        continue;
      }
      if (typeof item !== 'object' || item === null || Array.isArray(item)) {
        problems.push(`${itemWhere} must be an object (${type})`);
        continue;
      }
      context.paths.set(itemPath, { value: item, observable: ownObservable(spec, name) ?? objectDefinition.observable });
      checkObject(item as Record<string, unknown>, objectDefinition, attributesOf(objectDefinition, findObject), itemWhere, `${itemPath}.`, context, findObject);
    }
  }
}

function checkObservables(event: Record<string, unknown>, context: Context): void {
  const observables = Array.isArray(event.observables) ? (event.observables as Array<Record<string, unknown>>) : [];
  for (const [index, observable] of observables.entries()) {
    const where = `observables[${index}]`;
    const typeId = observable.type_id as number;
    const caption = observableTypes.get(typeId);
    if (caption === undefined) {
      context.problems.push(`${where}.type_id = ${typeId} is not an observable type of the schema`);
      continue;
    }
    if (observable.type !== undefined && typeId !== 99 && observable.type !== caption) context.problems.push(`${where}.type = ${JSON.stringify(observable.type)} is not the caption of type_id ${typeId} (${JSON.stringify(caption)})`);
    if (typeof observable.name !== 'string') continue;
    const target = context.paths.get(observable.name.replace(/\[\]/g, '[0]'));
    if (!target) {
      context.problems.push(`${where}.name ${observable.name} points at no attribute of the event`);
      continue;
    }
    const scalar = typeof target.value === 'string' || typeof target.value === 'number' || typeof target.value === 'boolean';
    if (observable.value !== undefined && scalar && String(target.value) !== observable.value) context.problems.push(`${where}.value is not the value of ${observable.name}`);
    if (target.observable !== undefined && target.observable !== typeId) context.problems.push(`${where}: ${observable.name} is observed as type ${typeId}, the schema types it ${target.observable}`);
  }
}

const versionParts = (version: string) => /^(\d+)\.(\d+)\.(\d+)/.exec(version)?.slice(1).map(Number);

/** Problems with one event of class `className` (e.g. `api_activity`); empty when valid. */
export function validateOcsfEvent(event: Record<string, unknown>, className: string): string[] {
  const definition = findEvent(className);
  if (!definition) return [`unknown class ${className}`];
  const context: Context = { problems: [], paths: new Map() };
  checkObject(event, definition, attributesOf(definition, findEvent), className, '', context, findEvent);
  checkObservables(event, context);
  const { problems } = context;
  let category = definition.category;
  for (let parent = definition; !category && parent.extends; ) {
    parent = findEvent(parent.extends)!;
    category = parent.category;
  }
  const categoryUid = category ? categories.attributes[category]?.uid : undefined;
  const classUid = categoryUid !== undefined && definition.uid !== undefined ? categoryUid * 1000 + definition.uid : undefined;
  if (event.category_uid !== categoryUid) problems.push(`category_uid must be ${categoryUid}`);
  if (event.class_uid !== classUid) problems.push(`class_uid must be ${classUid}`);
  if (classUid !== undefined && event.type_uid !== classUid * 100 + Number(event.activity_id)) problems.push('type_uid must be class_uid * 100 + activity_id');
  if (definition.caption && event.class_name !== undefined && event.class_name !== definition.caption) problems.push(`class_name must be ${definition.caption}`);
  const version = (event.metadata as { version?: unknown } | undefined)?.version;
  const theirs = typeof version === 'string' ? versionParts(version) : undefined;
  const ours = versionParts(schemaVersion)!;
  if (!theirs) problems.push(`metadata.version ${String(version)} is not a semantic version`);
  else if (theirs[0] !== ours[0] || theirs[1] > ours[1] || (theirs[1] === ours[1] && theirs[2] > ours[2])) problems.push(`metadata.version ${String(version)} is not compatible with schema ${schemaVersion}`);
  return problems;
}
