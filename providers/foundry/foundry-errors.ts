import { isRestError } from '@azure/ai-projects';
import OpenAI from 'openai';
import { readRetryAfter } from '#libs/provider-kit';
import { RuntimeError, type RuntimeErrorKind } from '#libs/runtime-spec';

/**
 * Maps a failure of either Foundry client to the contract's RuntimeError:
 * Azure core's `RestError` (`agents.*`) or the `openai` package's errors
 * (conversations, responses). `turnAccepted` says whether the failed call may
 * already have started a turn; callers pass what they know, and a refusal
 * (any 4xx) proves it did not.
 * Error model: https://learn.microsoft.com/azure/ai-foundry/agents/quotas-limits
 */
export function toRuntimeError(error: unknown, context: { turnAccepted: boolean }): RuntimeError {
  if (error instanceof RuntimeError) return error;
  if (error instanceof OpenAI.APIUserAbortError || (error instanceof Error && error.name === 'AbortError')) {
    return new RuntimeError('timeout', 'the call was aborted', { turnAccepted: context.turnAccepted, cause: error });
  }
  if (error instanceof OpenAI.APIConnectionTimeoutError) {
    return new RuntimeError('timeout', 'Foundry did not answer in time', { turnAccepted: context.turnAccepted, cause: error });
  }
  if (error instanceof OpenAI.APIConnectionError) {
    return new RuntimeError('unavailable', `could not reach Foundry: ${error.message}`, { turnAccepted: context.turnAccepted, cause: error });
  }
  if (error instanceof OpenAI.APIError) {
    return fromStatus(error.status, {
      code: error.code ?? undefined,
      message: error.message,
      retryAfter: error.headers?.get('retry-after') ?? undefined,
      requestId: error.requestID ?? undefined,
      turnAccepted: context.turnAccepted,
      cause: error,
    });
  }
  if (isRestError(error)) {
    // A RestError without a status never got an answer (REQUEST_SEND_ERROR, ECONNREFUSED, TLS failures...).
    if (error.statusCode === undefined) {
      return new RuntimeError('unavailable', `could not reach Foundry: ${error.code ?? error.message}`, { turnAccepted: context.turnAccepted, cause: error });
    }
    return fromStatus(error.statusCode, {
      code: error.code,
      message: error.message,
      retryAfter: error.response?.headers.get('retry-after') ?? undefined,
      requestId: error.response?.headers.get('x-ms-request-id') ?? undefined,
      turnAccepted: context.turnAccepted,
      cause: error,
    });
  }
  return new RuntimeError('provider_error', `unexpected failure talking to Foundry: ${(error as Error)?.message ?? String(error)}`, {
    turnAccepted: context.turnAccepted,
    cause: error,
  });
}

interface StatusDetails {
  code: string | undefined;
  message: string;
  retryAfter: string | undefined;
  requestId: string | undefined;
  turnAccepted: boolean;
  cause: unknown;
}

function fromStatus(status: number | undefined, details: StatusDetails): RuntimeError {
  return new RuntimeError(kindFor(status), `Foundry answered ${status ?? 'mid-stream'}: ${details.code ?? details.message}`, {
    turnAccepted: status !== undefined && status < 500 ? false : details.turnAccepted,
    retryAfterSeconds: readRetryAfter(details.retryAfter),
    providerRequestId: details.requestId,
    providerCode: details.code,
    cause: details.cause,
  });
}

function kindFor(status: number | undefined): RuntimeErrorKind {
  if (status === undefined) return 'stream_truncated';
  if (status === 429) return 'throttled';
  if (status === 408 || status === 504) return 'timeout';
  if (status === 404 || status === 410) return 'not_found';
  if (status === 400 || status === 422) return 'invalid_target';
  return status >= 500 ? 'unavailable' : 'provider_error';
}

/** The HTTP status of a failed Foundry call, if it got one. */
export function statusOf(error: unknown): number | undefined {
  if (error instanceof OpenAI.APIError) return error.status;
  if (isRestError(error)) return error.statusCode;
  return undefined;
}
