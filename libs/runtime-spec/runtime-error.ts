/**
 * Why a provider call failed, in terms the broker acts on:
 * - `throttled`: the provider refused for rate or quota; retry later.
 * - `not_found`: the provider session (or target) no longer exists / expired.
 * - `invalid_target`: the agent's target is wrong (bad ARN, unknown agent...).
 * - `unavailable`: the provider is down or unreachable.
 * - `timeout`: the provider did not answer in time.
 * - `stream_truncated`: the turn's stream ended or broke before its terminator.
 * - `unsupported`: the adapter cannot do this (optional abilities).
 * - `provider_error`: anything else the provider reported.
 */
export type RuntimeErrorKind =
  | 'throttled'
  | 'not_found'
  | 'invalid_target'
  | 'unavailable'
  | 'timeout'
  | 'stream_truncated'
  | 'unsupported'
  | 'provider_error';

const retryableKinds: ReadonlySet<RuntimeErrorKind> = new Set(['throttled', 'unavailable', 'timeout']);

export class RuntimeError extends Error {
  readonly kind: RuntimeErrorKind;
  /** Whether repeating the same call may succeed. */
  readonly retryable: boolean;
  /**
   * For turn submission: whether the provider may have accepted (started)
   * the turn. The broker retries a turn only when this is false.
   */
  readonly turnAccepted: boolean;
  readonly retryAfterSeconds: number | undefined;
  /** The provider's request id, for support cases. */
  readonly providerRequestId: string | undefined;
  /** The provider's own error code, for logs and `turn.failed`. */
  readonly providerCode: string | undefined;

  constructor(
    kind: RuntimeErrorKind,
    message: string,
    options: {
      turnAccepted?: boolean;
      retryAfterSeconds?: number;
      providerRequestId?: string;
      providerCode?: string;
      cause?: unknown;
    } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = 'RuntimeError';
    this.kind = kind;
    this.retryable = retryableKinds.has(kind);
    this.turnAccepted = options.turnAccepted ?? true;
    this.retryAfterSeconds = options.retryAfterSeconds;
    this.providerRequestId = options.providerRequestId;
    this.providerCode = options.providerCode;
  }
}

export function isRuntimeError(error: unknown): error is RuntimeError {
  return error instanceof RuntimeError;
}
