import Anthropic from '@anthropic-ai/sdk';
import { readRetryAfter } from '#libs/provider-kit';
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
    const kind = kindOf(error);
    return new RuntimeError(kind, `Claude answered ${status ?? 'mid-stream'}: ${error.type ?? error.message}`, {
      // A refused request (429, 4xx) did not start anything.
      turnAccepted: status !== undefined && status < 500 ? false : context.turnAccepted,
      retryAfterSeconds: readRetryAfter(error.headers?.get('retry-after')),
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

function kindOf(error: InstanceType<typeof Anthropic.APIError>): RuntimeErrorKind {
  const status = error.status;
  if (status === undefined) return 'stream_truncated';
  if (status === 429 || status === 529) return 'throttled';
  if (status === 404) return 'not_found';
  if (status === 409) return saysSessionGone(error) ? 'not_found' : 'unavailable';
  if (status === 400 || status === 422) return 'invalid_target';
  return status >= 500 ? 'unavailable' : 'provider_error';
}

/**
 * A 409 means the session is gone only when Claude says so (a send to an
 * archived, deleted or terminated session: "A terminated session takes no
 * more events"). Any other conflict is transient: the session lives on, and
 * a refused request started nothing.
 */
function saysSessionGone(error: InstanceType<typeof Anthropic.APIError>): boolean {
  const body: unknown = error.error;
  const detail = typeof body === 'object' && body !== null && 'error' in body ? body.error : undefined;
  const message = typeof detail === 'object' && detail !== null && 'message' in detail && typeof detail.message === 'string' ? detail.message : error.message;
  return /\b(archived|deleted|terminated)\b/i.test(message);
}
