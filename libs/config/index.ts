export { loadConfig, ConfigError, productionBodyLimitBytes, resolveRuntimeMode } from './config.js';
export type { AuditKeySecret } from './config.schema.js';
export type { Profile } from './config.schema.js';
export { environmentSchema, profiles, optionalText, parseAuditKeys, platformLimitSettings, providerBaseUrl, runtimeMode } from './config.schema.js';
export type { AppConfig, AuditConfig, CeilingedLimit, ContentConfig, DatabaseConfig, HttpConfig, OidcConfig, OidcConsoleConfig, PlatformLimitsConfig, ResolvedRuntimeMode, RuntimeCredentialNames, RuntimeSettingsOf, RuntimeSettingsSchemas, RuntimesConfig, RuntimeMode, WebhooksConfig } from './config.js';
export { identityKinds, identityNamePattern } from './identities.js';
export type { AnthropicIdentity, AwsIdentity, AzureIdentity, GoogleIdentity, IdentitiesConfig, IdentityKind, ProviderIdentity } from './identities.js';
