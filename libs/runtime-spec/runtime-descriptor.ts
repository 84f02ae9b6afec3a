/** The closed set of runtimes, matching the folders under providers/. */
export const providerIds = ['claude', 'agentcore', 'foundry', 'vertex'] as const;
export type ProviderId = (typeof providerIds)[number];

/**
 * How strongly a runtime isolates one session from another, weakest first.
 * `shared`: a request-scaled container pool serves every session.
 * `sandbox`: a per-session sandbox behind a managed harness.
 * `vm`: a VM-isolated sandbox per session. `microvm`: a dedicated microVM per session.
 */
export const isolationClasses = ['shared', 'sandbox', 'vm', 'microvm'] as const;
export type IsolationClass = (typeof isolationClasses)[number];

export interface SessionCeilings {
  /** The longest idle period the provider allows before it reaps the session. */
  idleTimeoutMaxSeconds: number;
  /** The longest a session may live at the provider. */
  maxLifetimeSeconds: number;
}

export interface RuntimeDescriptor extends SessionCeilings {
  id: ProviderId;
  isolation: IsolationClass;
  /** `emulated` when the adapter talks to the in-process emulator instead of the cloud. */
  mode: 'live' | 'emulated';
}
