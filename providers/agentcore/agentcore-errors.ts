import type { BedrockAgentCoreServiceException } from '@aws-sdk/client-bedrock-agentcore';
import { readRetryAfter } from '#libs/provider-kit';
import { RuntimeError, type RuntimeErrorKind } from '#libs/runtime-spec';

/** Which call failed: the same status means different things (a 404 on invoke is a missing runtime, on stop a finished session). */
export type AgentCoreCall = 'invoke' | 'stop' | 'control';

/** Statuses where AgentCore refused the request before it reached the agent container. */
const refusedStatuses = new Set([400, 402, 403, 404, 409, 429, 503]);

/**
 * Maps an `@aws-sdk/client-bedrock-agentcore` (or `-control`) failure to the
 * contract's RuntimeError. `turnAccepted` is what the caller knows when the
 * service said nothing (network, abort); a refusal status proves nothing ran.
 * A 500/502/504 or a 424 (RuntimeClientError: the container itself failed)
 * may come after the agent started, so they keep `turnAccepted: true`.
 * Error table: https://docs.aws.amazon.com/bedrock-agentcore/latest/APIReference/API_InvokeAgentRuntime.html#API_InvokeAgentRuntime_Errors
 */
export function toRuntimeError(error: unknown, context: { call: AgentCoreCall; turnAccepted: boolean }): RuntimeError {
  if (error instanceof RuntimeError) return error;
  const status = serviceStatus(error);
  if (status !== undefined) {
    const service = error as BedrockAgentCoreServiceException;
    const headers = service.$response?.headers;
    return new RuntimeError(kindOf(service.name, status, context.call), `AgentCore answered ${status} ${service.name}: ${service.message}`, {
      turnAccepted: refusedStatuses.has(status) ? false : context.turnAccepted,
      retryAfterSeconds: readRetryAfter(headers?.['retry-after'] ?? headers?.['x-amz-retry-after']),
      providerRequestId: service.$metadata?.requestId,
      providerCode: service.name,
      cause: error,
    });
  }
  const { name, code, message } = (error ?? {}) as { name?: string; code?: string; message?: string };
  if (name === 'AbortError' || name === 'TimeoutError' || code === 'ETIMEDOUT') {
    return new RuntimeError('timeout', 'AgentCore did not answer in time', { turnAccepted: context.turnAccepted, cause: error });
  }
  if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    // Nothing was sent: the connection never opened.
    return new RuntimeError('unavailable', `could not reach AgentCore (${code})`, { turnAccepted: false, cause: error });
  }
  if (name === 'CredentialsProviderError') {
    return new RuntimeError('invalid_target', `no AWS credentials for AgentCore: ${message ?? ''}`, { turnAccepted: false, cause: error });
  }
  return new RuntimeError('unavailable', `AgentCore call failed: ${message ?? String(error)}`, { turnAccepted: context.turnAccepted, cause: error });
}

function kindOf(name: string, status: number, call: AgentCoreCall): RuntimeErrorKind {
  if (status === 429 || name === 'ThrottlingException' || name === 'ThrottledException') return 'throttled';
  // The account's concurrent-session quota: it frees up as sessions end.
  if (status === 402 || name === 'ServiceQuotaExceededException') return 'throttled';
  // Invoke never 404s for an unknown session (it starts one): a 404 there is the runtime or endpoint.
  if (status === 404) return call === 'stop' ? 'not_found' : 'invalid_target';
  if (status === 400 || status === 403) return 'invalid_target';
  if (status === 409) return 'unavailable';
  if (status >= 500) return 'unavailable';
  return 'provider_error';
}

/** The HTTP status AgentCore answered with, undefined when it did not answer. */
export function serviceStatus(error: unknown): number | undefined {
  if (!(error instanceof Error) || !('$metadata' in error) || !('$fault' in error)) return undefined;
  const status = (error as BedrockAgentCoreServiceException).$metadata?.httpStatusCode;
  return typeof status === 'number' ? status : undefined;
}
