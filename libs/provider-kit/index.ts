/** Plumbing shared by provider adapters (never provider-specific). */
export { parseTargetWith } from './parse-target.js';
export type { TargetParseResult } from './parse-target.js';
export { silentLog } from './debug-log.js';
export type { AdapterLog } from './debug-log.js';
export { defineRuntime } from './runtime-module.js';
// The config resolves modes too (the production profile refuses emulated runtimes): one rule, kept there.
export { resolveRuntimeMode } from '#libs/config';
export type { RuntimeListPrice, RuntimeModule, RuntimeVendor, StartedRuntime, StandaloneEmulator } from './runtime-module.js';
export type { ConformanceFixture, DirectSession, EmulatorAddress, EmulatorControls, TurnConnections } from './conformance-fixture.js';
export { startEmulatedRuntime, startStandaloneEmulator } from './emulated-runtime.js';
export type { EmulatorEndpoint, EmulatorEntry, EmulatorPlacement, EmulatorStartOptions } from './emulated-runtime.js';
export { isScopeValue } from './target-scope.js';
export type { TargetScope, TargetScopeKind, TargetScopes } from './target-scope.js';
export { maxRetryAfterSeconds, readRetryAfter } from './retry-after.js';
export { streamBroke } from './stream-broke.js';
export { failedTargetCheck } from './target-check.js';
export { identityProblem, PerIdentity, targetIdentityField, withIdentityScope } from './target-identity.js';
export { drainLimits, drainRest } from './drain-rest.js';
