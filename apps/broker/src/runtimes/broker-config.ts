import { loadConfig, type AppConfig, type RuntimeSettingsOf } from '#libs/config';
import { providerIds, type ProviderId } from '#libs/runtime-spec';
import { runtimeModuleById } from './runtime-modules.js';

type RuntimeSettingsSchemas = { [Id in ProviderId]: (typeof runtimeModuleById)[Id]['settings'] };

/**
 * Each registered runtime's slice of the environment. The config lib cannot
 * import a runtime (libs never import providers or the app), so the app,
 * which owns the registry, passes them in: this is where they compose.
 */
const runtimeSettings = Object.fromEntries(providerIds.map((id) => [id, runtimeModuleById[id].settings])) as RuntimeSettingsSchemas;

/** The broker's validated config, `runtimes.<id>` typed by each runtime's own settings schema. */
export type BrokerConfig = AppConfig<RuntimeSettingsOf<RuntimeSettingsSchemas>>;

/** Validates the whole environment (the broker's variables and every runtime's), reporting every bad key at once. */
export function loadBrokerConfig(source: Record<string, string | undefined>): BrokerConfig {
  return loadConfig(source, runtimeSettings, runtimeModuleById);
}
