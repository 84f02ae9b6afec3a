import { status as GrpcStatus } from '@grpc/grpc-js';
import { RuntimeError, type RuntimeErrorKind } from '#libs/runtime-spec';

/** What the caller knows about the failed call; see the contract's `turnAccepted`. */
export interface ErrorContext {
  /** Whether the call may already have started work at the provider if the error does not prove otherwise. */
  turnAccepted: boolean;
}

/**
 * Codes by which Vertex refuses a request before doing anything: a call that
 * failed with one of these provably did not run a turn.
 * https://cloud.google.com/vertex-ai/docs/general/api-errors (canonical gRPC codes)
 */
const refusals: ReadonlySet<number> = new Set([
  GrpcStatus.RESOURCE_EXHAUSTED,
  GrpcStatus.INVALID_ARGUMENT,
  GrpcStatus.NOT_FOUND,
  GrpcStatus.ALREADY_EXISTS,
  GrpcStatus.PERMISSION_DENIED,
  GrpcStatus.UNAUTHENTICATED,
  GrpcStatus.FAILED_PRECONDITION,
  GrpcStatus.OUT_OF_RANGE,
  GrpcStatus.UNIMPLEMENTED,
]);

const kinds: Partial<Record<number, RuntimeErrorKind>> = {
  [GrpcStatus.RESOURCE_EXHAUSTED]: 'throttled',
  [GrpcStatus.NOT_FOUND]: 'not_found',
  [GrpcStatus.INVALID_ARGUMENT]: 'invalid_target',
  [GrpcStatus.FAILED_PRECONDITION]: 'invalid_target',
  [GrpcStatus.PERMISSION_DENIED]: 'invalid_target',
  [GrpcStatus.UNAVAILABLE]: 'unavailable',
  [GrpcStatus.DEADLINE_EXCEEDED]: 'timeout',
  [GrpcStatus.CANCELLED]: 'timeout',
};

/** The numeric gRPC status of an error from google-gax / grpc-js, if it has one. */
export function grpcCodeOf(error: unknown): number | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'number' && Number.isInteger(code) ? code : undefined;
}

/**
 * Maps a google-gax `GoogleError` (a gRPC status) to the contract's
 * RuntimeError. Refusals carry `turnAccepted: false` whatever the caller
 * assumed; anything else keeps the caller's assumption.
 */
export function toRuntimeError(error: unknown, context: ErrorContext): RuntimeError {
  if (error instanceof RuntimeError) return error;
  const code = grpcCodeOf(error);
  const details = (error as { details?: unknown } | null)?.details;
  const message = typeof details === 'string' && details ? details : ((error as Error | null)?.message ?? String(error));
  if (code === undefined) {
    return new RuntimeError('provider_error', `unexpected failure talking to Vertex AI: ${message}`, { turnAccepted: context.turnAccepted, cause: error });
  }
  const name = GrpcStatus[code] ?? String(code);
  return new RuntimeError(kinds[code] ?? 'provider_error', `Vertex AI answered ${name}: ${message}`, {
    turnAccepted: refusals.has(code) ? false : context.turnAccepted,
    providerCode: name,
    cause: error,
  });
}


/** The HTTP status Google's API mapping gives a gRPC status (for target checks); undefined when there was no answer. */
export function httpStatusOf(error: unknown): number | undefined {
  switch (grpcCodeOf(error)) {
    case GrpcStatus.NOT_FOUND:
      return 404;
    case GrpcStatus.INVALID_ARGUMENT:
      return 400;
    case GrpcStatus.PERMISSION_DENIED:
      return 403;
    case GrpcStatus.UNAUTHENTICATED:
      return 401;
    case GrpcStatus.RESOURCE_EXHAUSTED:
      return 429;
    case GrpcStatus.UNAVAILABLE:
      return 503;
    default:
      return undefined;
  }
}
