import type { RuntimeModule } from '#libs/provider-kit';
import { providerIds, type ProviderId } from '#libs/runtime-spec';
import { agentCoreRuntime } from '#runtimes/agentcore';
import { claudeRuntime } from '#runtimes/claude';
import { foundryRuntime } from '#runtimes/foundry';
import { vertexRuntime } from '#runtimes/vertex';

/** One module per runtime id, each under its own id. */
export type RuntimeModuleRecord = { [Id in ProviderId]: RuntimeModule<Id> };

/**
 * Every runtime the broker knows, registered in this one place (no
 * auto-discovery), keyed by its id. The `satisfies` clause makes the record
 * exhaustive: a `ProviderId` without its module, a module under another
 * runtime's key, or a key that is not a `ProviderId` does not compile.
 * Adding a runtime = one import and one entry here (providers/README.md).
 */
export const runtimeModuleById = {
  claude: claudeRuntime,
  agentcore: agentCoreRuntime,
  foundry: foundryRuntime,
  vertex: vertexRuntime,
} satisfies RuntimeModuleRecord;

/** The registered runtimes in `providerIds` order: the order they start in and are listed. */
export const runtimeModules: readonly RuntimeModule[] = providerIds.map((id) => runtimeModuleById[id]);
