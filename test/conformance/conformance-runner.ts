import type { ProviderId } from '#libs/runtime-spec';
import { runtimeModuleById } from '../../apps/broker/src/runtimes/runtime-modules.js';
import { runConformanceSuite } from './conformance-suite.js';

/**
 * Runs the conformance suite for one registered runtime: each runtime has
 * its own file (`conformance.<id>.test.ts`, checked for every registered id
 * by test/architecture), so a runtime's scenarios get the whole per-file
 * time budget and the runtimes' failures are reported apart.
 * CONFORMANCE_RUNTIMES=claude,vertex narrows a run to those runtimes.
 */
export async function runConformanceOf(id: ProviderId): Promise<void> {
  const only = process.env.CONFORMANCE_RUNTIMES?.split(',').map((name) => name.trim()).filter((name) => name !== '');
  const unknown = only?.filter((name) => !(name in runtimeModuleById)) ?? [];
  if (unknown.length > 0) throw new Error(`CONFORMANCE_RUNTIMES names no registered runtime: ${unknown.join(', ')}`);
  if (only && !only.includes(id)) return;
  runConformanceSuite(await runtimeModuleById[id].conformance());
}
