import type { RuntimeModule } from '#libs/provider-kit';
import { agentCoreRuntime } from '#providers/agentcore';
import { claudeRuntime } from '#providers/claude';
import { foundryRuntime } from '#providers/foundry';
import { vertexRuntime } from '#providers/vertex';

/**
 * Every runtime the broker knows, registered in this one place (no
 * auto-discovery). Adding a provider = one import and one entry here.
 */
export const runtimeModules: readonly RuntimeModule[] = [
  claudeRuntime,
  agentCoreRuntime,
  foundryRuntime,
  vertexRuntime,
];
