import type { RuntimeModule } from '#libs/provider-kit';
import { claudeRuntime } from '#providers/claude';

/**
 * Every runtime the broker knows, registered in this one place (no
 * auto-discovery). Adding a provider = one import and one entry here.
 */
export const runtimeModules: readonly RuntimeModule[] = [
  claudeRuntime,
];
