import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Validates OCSF events against the schema source vendored in
 * test/data/ocsf-schema (ocsf/ocsf-schema, Apache-2.0): a class's attributes
 * come from the class, its `extends` chain and the dictionary; objects are
 * checked recursively. It checks that every required attribute is present,
 * that no attribute is unknown, that primitive types match, that enum-valued
 * `*_id` attributes use a listed value, and that class/category/type uids agree.
 * Profiles are not applied (the exporter declares none).
 */
const schemaRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../test/data/ocsf-schema');

type AttributeSpec = { requirement?: string; enum?: Record<string, unknown>; type?: string; is_array?: boolean };
type Definition = { name: string; uid?: number; extends?: string; category?: string; attributes: Record<string, unknown> };

const read = (relative: string) => JSON.parse(readFileSync(path.join(schemaRoot, relative), 'utf8')) as Record<string, unknown>;
const dictionary = read('dictionary.json') as { attributes: Record<string, AttributeSpec>; types: { attributes: Record<string, unknown> } };
const categories = read('categories.json') as { attributes: Record<string, { uid: number }> };
const primitiveTypes = new Set(Object.keys(dictionary.types.attributes));

function attributesOf(definition: Definition, kind: 'events' | 'objects', findParent: (name: string) => Definition | undefined): Record<string, AttributeSpec> {
  const parent = definition.extends ? findParent(definition.extends) : undefined;
  const inherited = parent ? attributesOf(parent, kind, findParent) : {};
  const own: Record<string, AttributeSpec> = {};
  for (const [name, spec] of Object.entries(definition.attributes)) {
    if (name === '$include' || typeof spec !== 'object' || spec === null) continue;
    own[name] = { ...(inherited[name] ?? {}), ...(spec as AttributeSpec) };
  }
  return { ...inherited, ...own };
}

function findEvent(name: string): Definition | undefined {
  if (name === 'base_event') return read('events/base_event.json') as unknown as Definition;
  for (const category of Object.keys(categories.attributes)) {
    try {
      return read(`events/${category}/${name}.json`) as unknown as Definition;
    } catch {
      // not in this category
    }
  }
  return undefined;
}

function findObject(name: string): Definition | undefined {
  try {
    return read(`objects/${name}.json`) as unknown as Definition;
  } catch {
    return undefined;
  }
}

function typeCheck(value: unknown, type: string): boolean {
  switch (type) {
    case 'integer_t':
    case 'long_t':
    case 'timestamp_t':
    case 'port_t':
      return Number.isInteger(value);
    case 'float_t':
      return typeof value === 'number';
    case 'boolean_t':
      return typeof value === 'boolean';
    case 'json_t':
      return true;
    default:
      return typeof value === 'string';
  }
}

function checkObject(value: Record<string, unknown>, attributes: Record<string, AttributeSpec>, where: string, problems: string[]): void {
  for (const [name, spec] of Object.entries(attributes)) {
    if (spec.requirement === 'required' && value[name] === undefined) problems.push(`${where}.${name} is required`);
  }
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
    const enumValues = spec.enum ?? dictionarySpec.enum;
    const items = isArray ? (Array.isArray(member) ? member : (problems.push(`${where}.${name} must be an array`), [])) : [member];
    for (const [index, item] of items.entries()) {
      const itemWhere = isArray ? `${where}.${name}[${index}]` : `${where}.${name}`;
      if (primitiveTypes.has(type) || type === 'object') {
        if (type !== 'object' && !typeCheck(item, type)) problems.push(`${itemWhere} must be ${type}`);
        if (enumValues && name.endsWith('_id') && !(String(item) in enumValues)) problems.push(`${itemWhere} = ${String(item)} is not in its enum`);
        continue;
      }
      const objectDefinition = findObject(type);
      if (!objectDefinition) {
        problems.push(`${itemWhere}: unknown object type ${type}`);
        continue;
      }
      if (typeof item !== 'object' || item === null) {
        problems.push(`${itemWhere} must be an object (${type})`);
        continue;
      }
      checkObject(item as Record<string, unknown>, attributesOf(objectDefinition, 'objects', findObject), itemWhere, problems);
    }
  }
}

/** Problems with one event of class `className` (e.g. `api_activity`); empty when valid. */
export function validateOcsfEvent(event: Record<string, unknown>, className: string): string[] {
  const definition = findEvent(className);
  if (!definition) return [`unknown class ${className}`];
  const problems: string[] = [];
  checkObject(event, attributesOf(definition, 'events', findEvent), className, problems);
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
  return problems;
}
