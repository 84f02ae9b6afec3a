/** The runtime contract (v1): what every provider adapter implements. Depends on nothing. */
export type {
  RuntimeAdapter,
  SessionBinding,
  SessionHandle,
  OpenedSession,
  ProviderSessionState,
  ProviderSessionStatus,
  TurnRequest,
  ApprovalDecision,
  InputPart,
  TargetCheck,
  TargetCheckCode,
} from './runtime-adapter.js';
export type { RuntimeEvent, ContentPart, TurnUsage, SessionTotals, SessionLife } from './runtime-events.js';
export { providerIds, isolationClasses } from './runtime-descriptor.js';
export type { ProviderId, IsolationClass, RuntimeDescriptor, SessionCeilings } from './runtime-descriptor.js';
export { RuntimeError, isRuntimeError } from './runtime-error.js';
export type { RuntimeErrorKind } from './runtime-error.js';
