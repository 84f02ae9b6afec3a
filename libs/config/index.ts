export { loadConfig, ConfigError } from './config.js';
export type { AuditKeySecret } from './config.schema.js';
export { environmentSchema, optionalText, parseAuditKeys, platformLimitSettings, providerBaseUrl, runtimeMode } from './config.schema.js';
export type { AppConfig, AuditConfig, CeilingedLimit, ContentConfig, DatabaseConfig, HttpConfig, OidcConfig, PlatformLimitsConfig, RuntimeSettingsOf, RuntimeSettingsSchemas, RuntimesConfig, RuntimeMode } from './config.js';
export { identityKinds, identityNamePattern } from './identities.js';
export type { AnthropicIdentity, AwsIdentity, AzureIdentity, GoogleIdentity, IdentitiesConfig, IdentityKind, ProviderIdentity } from './identities.js';
