import Anthropic from '@anthropic-ai/sdk';
import { RuntimeError, type RuntimeErrorKind } from '#libs/runtime-spec';

/**
 * Maps an `@anthropic-ai/sdk` error to the contract's RuntimeError.
 * `turnAccepted` says whether the failed call may already have started a turn
 * (see the contract); callers pass what they know.
 * Error statuses: https://platform.claude.com/docs/en/api/errors
 */
export function toRuntimeError(error: unknown, context: { turnAccepted: boolean }): RuntimeError {
  if (error instanceof RuntimeError) return error;
  if (error instanceof Anthropic.APIUserAbortError) {
    return new RuntimeError('timeout', 'the call was aborted', { turnAccepted: context.turnAccepted, cause: error });
  }
  if (error instanceof Anthropic.APIConnectionTimeoutError) {
    return new RuntimeError('timeout', 'Claude did not answer in time', { turnAccepted: context.turnAccepted, cause: error });
  }
  if (error instanceof Anthropic.APIConnectionError) {
    return new RuntimeError('unavailable', 'could not reach Claude', { turnAccepted: context.turnAccepted, cause: error });
  }
  if (error instanceof Anthropic.APIError) {
    const status = error.status;
    const kind: RuntimeErrorKind =
      status === 429 || status === 529
        ? 'throttled'
        : status === 404 || status === 409
          ? 'not_found'
          : status === 400 || status === 422
            ? 'invalid_target'
            : status === undefined
              ? 'stream_truncated'
              : status >= 500
                ? 'unavailable'
                : 'provider_error';
    const retryAfter = Number(error.headers?.get('retry-after'));
    return new RuntimeError(kind, `Claude answered ${status ?? 'mid-stream'}: ${error.type ?? error.message}`, {
      // A refused request (429, 4xx) did not start anything.
      turnAccepted: status !== undefined && status < 500 ? false : context.turnAccepted,
      retryAfterSeconds: Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : undefined,
      providerRequestId: error.requestID ?? undefined,
      providerCode: error.type ?? undefined,
      cause: error,
    });
  }
  return new RuntimeError('provider_error', `unexpected failure talking to Claude: ${(error as Error)?.message ?? String(error)}`, {
    turnAccepted: context.turnAccepted,
    cause: error,
  });
}
