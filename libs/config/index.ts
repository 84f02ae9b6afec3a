export { loadConfig, ConfigError } from './config.js';
export type { AuditKeySecret } from './config.schema.js';
export { parseAuditKeys } from './config.schema.js';
export type { AppConfig, AuditConfig, ContentConfig, DatabaseConfig, HttpConfig, OidcConfig, RuntimesConfig, RuntimeMode } from './config.js';
