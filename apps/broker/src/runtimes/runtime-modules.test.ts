import { test } from 'node:test';
import assert from 'node:assert/strict';
import { providerIds } from '#libs/runtime-spec';
import { agentCoreRuntime } from '#runtimes/agentcore';
import { claudeRuntime } from '#runtimes/claude';
import { foundryRuntime } from '#runtimes/foundry';
import { vertexRuntime } from '#runtimes/vertex';
import { priceUnits } from '../costs/price-units.js';
import { loadBrokerConfig } from './broker-config.js';
import { runtimeModuleById, runtimeModules, type RuntimeModuleRecord } from './runtime-modules.js';

// Checked by the build (tsc fails when the expected error is missing): the registry's type refuses a missing runtime and a swapped one.
// @ts-expect-error vertex is missing
export const incomplete = { claude: claudeRuntime, agentcore: agentCoreRuntime, foundry: foundryRuntime } satisfies RuntimeModuleRecord;
// @ts-expect-error claude's key holds vertex's module
export const swapped = { claude: vertexRuntime, agentcore: agentCoreRuntime, foundry: foundryRuntime, vertex: vertexRuntime } satisfies RuntimeModuleRecord;

test('every runtime id is registered once, under its own id, in providerIds order', () => {
  assert.deepEqual(Object.keys(runtimeModuleById).sort(), [...providerIds].sort());
  assert.deepEqual(runtimeModules.map((module) => module.id), [...providerIds]);
  for (const [id, module] of Object.entries(runtimeModuleById)) assert.equal(module.id, id);
});

test('each runtime names its vendor for the FOCUS provider columns, and the credentials that make it live', () => {
  for (const module of runtimeModules) {
    assert.ok(module.vendor.company.trim() !== '' && module.vendor.serviceName.trim() !== '', module.id);
    assert.ok(module.liveCredentials.length > 0, module.id);
    // A credential variable the settings do not read would never make `auto` go live.
    for (const name of module.liveCredentials) {
      const config = loadBrokerConfig({ [name]: 'x' });
      assert.notEqual(JSON.stringify(config.runtimes[module.id]), JSON.stringify(loadBrokerConfig({}).runtimes[module.id]), `${module.id} reads ${name}`);
    }
  }
});

test('each runtime lists its prices in the price book’s units, once each, with a source and a date', () => {
  for (const module of runtimeModules) {
    assert.ok(module.listPrices.length > 0, `${module.id} lists prices`);
    const units = module.listPrices.map((price) => price.unit);
    assert.equal(new Set(units).size, units.length, `${module.id}: one price per unit`);
    for (const price of module.listPrices) {
      assert.ok((priceUnits as readonly string[]).includes(price.unit), `${module.id}: ${price.unit} is a price unit`);
      assert.match(price.unitPrice, /^\d+(\.\d{1,10})?$/, `${module.id}/${price.unit}`);
      assert.match(price.effectiveDate, /^\d{4}-\d{2}-\d{2}$/, `${module.id}/${price.unit}`);
      assert.match(price.source, /^https:\/\//, `${module.id}/${price.unit}`);
    }
  }
});

test('the broker config composes every runtime’s settings: defaults from an empty environment, bad keys reported together', () => {
  const config = loadBrokerConfig({});
  assert.deepEqual(Object.keys(config.runtimes).filter((key) => (providerIds as readonly string[]).includes(key)).sort(), [...providerIds].sort());
  for (const id of providerIds) assert.equal(config.runtimes[id].mode, 'auto', id);
  assert.equal(config.runtimes.agentcore.region, 'us-east-1');
  assert.equal(loadBrokerConfig({ AWS_PROFILE: 'dev' }).runtimes.agentcore.hasCredentials, true);
  assert.equal(loadBrokerConfig({ GOOGLE_CLOUD_PROJECT: 'p1' }).runtimes.vertex.project, 'p1');
  assert.throws(
    () => loadBrokerConfig({ PORT: 'eighty', SWITCHBOARD_CLAUDE_MODE: 'maybe', SWITCHBOARD_VERTEX_MODE: 'cloud', ANTHROPIC_BASE_URL: 'http://proxy.internal' }),
    (error: unknown) =>
      error instanceof Error &&
      'problems' in error &&
      JSON.stringify((error.problems as string[]).map((problem) => problem.split(':')[0]).sort()) ===
        JSON.stringify(['ANTHROPIC_BASE_URL', 'PORT', 'SWITCHBOARD_CLAUDE_MODE', 'SWITCHBOARD_VERTEX_MODE']),
  );
});
