export { loadConfig, ConfigError } from './config.js';
export type { AppConfig, DatabaseConfig, OidcConfig, RuntimesConfig, RuntimeMode } from './config.js';
