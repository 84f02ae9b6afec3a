import { test } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { ComponentSchemas, taggedUnion } from './openapi-components.js';

test('a named schema becomes one component, referenced from wherever it is used', () => {
  const item = z.object({ id: z.string() }).meta({ id: 'UnitItem' });
  const page = z.object({ data: z.array(item) }).meta({ id: 'UnitPage' });
  const components = new ComponentSchemas();
  assert.deepEqual(components.render(page, 'output'), { $ref: '#/components/schemas/UnitPage' });
  assert.deepEqual(components.render(z.object({ first: item }), 'output').properties, { first: { $ref: '#/components/schemas/UnitItem' } });
  const all = components.all();
  assert.deepEqual(Object.keys(all), ['UnitItem', 'UnitPage']);
  assert.deepEqual(all.UnitPage.properties, { data: { type: 'array', items: { $ref: '#/components/schemas/UnitItem' } } });
});

test('a name that would stand for two shapes (request and response) is refused', () => {
  const withDefault = z.object({ limit: z.number().default(50) }).meta({ id: 'UnitWithDefault' });
  const components = new ComponentSchemas();
  components.render(withDefault, 'output');
  assert.throws(() => components.render(withDefault, 'input'), /UnitWithDefault renders differently as output and as input/);
});

test('a tagged union maps each tag to its named option', () => {
  const a = z.object({ type: z.literal('a.b'), n: z.number() }).meta({ id: 'UnitA' });
  const b = z.object({ type: z.literal('c'), s: z.string() }).meta({ id: 'UnitB' });
  const union = taggedUnion('type', [a, b], { id: 'UnitUnion', description: 'either' });
  assert.equal(union.parse({ type: 'c', s: 'x' }).type, 'c');
  const components = new ComponentSchemas();
  components.render(union, 'output');
  assert.deepEqual(components.all().UnitUnion, {
    oneOf: [{ $ref: '#/components/schemas/UnitA' }, { $ref: '#/components/schemas/UnitB' }],
    description: 'either',
    discriminator: { propertyName: 'type', mapping: { 'a.b': '#/components/schemas/UnitA', c: '#/components/schemas/UnitB' } },
  });
  assert.throws(() => taggedUnion('type', [a, z.object({ type: z.literal('d') })], { id: 'UnitBad', description: '' }), /needs a name/);
});
