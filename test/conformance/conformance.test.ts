import { runtimeModules } from '../../apps/broker/src/runtimes/runtime-modules.js';
import { runConformanceSuite } from './conformance-suite.js';

/**
 * The conformance suite for every registered runtime, each against the
 * broker with its emulator, one after another (they would compete for the
 * same two cores otherwise, and the suite times a slow provider). The
 * fixture comes from the runtime's module, so a registered runtime cannot
 * lack one. CONFORMANCE_RUNTIMES=claude,vertex narrows the run.
 */
const only = process.env.CONFORMANCE_RUNTIMES?.split(',').map((id) => id.trim()).filter((id) => id !== '');
const unknown = only?.filter((id) => !runtimeModules.some((module) => module.id === id)) ?? [];
if (unknown.length > 0) throw new Error(`CONFORMANCE_RUNTIMES names no registered runtime: ${unknown.join(', ')}`);

for (const module of runtimeModules) {
  if (only && !only.includes(module.id)) continue;
  runConformanceSuite(await module.conformance());
}
