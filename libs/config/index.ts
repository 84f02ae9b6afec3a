export { loadConfig, ConfigError } from './config.js';
export type { AppConfig, DatabaseConfig, OidcConfig } from './config.js';
