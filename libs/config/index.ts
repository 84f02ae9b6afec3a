export { loadConfig, ConfigError } from './config.js';
export type { AuditKeySecret } from './config.schema.js';
export { parseAuditKeys, platformLimitSettings } from './config.schema.js';
export type { AppConfig, AuditConfig, CeilingedLimit, ContentConfig, DatabaseConfig, HttpConfig, OidcConfig, PlatformLimitsConfig, RuntimesConfig, RuntimeMode } from './config.js';
