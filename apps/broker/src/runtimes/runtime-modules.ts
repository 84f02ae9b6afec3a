import type { RuntimeModule } from '#libs/provider-kit';
import { agentCoreRuntime } from '#runtimes/agentcore';
import { claudeRuntime } from '#runtimes/claude';
import { foundryRuntime } from '#runtimes/foundry';
import { vertexRuntime } from '#runtimes/vertex';

/**
 * Every runtime the broker knows, registered in this one place (no
 * auto-discovery).
 */
export const runtimeModules: readonly RuntimeModule[] = [
  claudeRuntime,
  agentCoreRuntime,
  foundryRuntime,
  vertexRuntime,
];
