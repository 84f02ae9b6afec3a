import { AppError, type ErrorCode } from '#libs/errors';
import type { RuntimeError, RuntimeErrorKind } from '#libs/runtime-spec';
import { logger } from '../logging/logger.js';

/** The `error.code` of a `turn.failed` event (API.md §4). */
export type TurnFailureCode =
  | 'provider_unavailable'
  | 'provider_timeout'
  | 'provider_stream_truncated'
  | 'provider_session_gone'
  | 'provider_error'
  | 'session_terminated';

interface ProviderFailure {
  /** What a client is told: by kind only (the adapter's message carries upstream text, for the log). */
  message: string;
  /** The code a turn that failed this way records in `turn.failed`. */
  turnCode: TurnFailureCode;
  /** The problem answered when the provider refused the call (or a turn before accepting it). */
  refused: Extract<ErrorCode, 'provider_error' | 'provider_unavailable' | 'provider_timeout'>;
}

/**
 * The one table from a runtime's error kinds to what the broker says about
 * them: the turn failure code in the transcript and the problem a client
 * gets (API.md §2: a provider failure is never a 4xx, never the upstream text).
 */
export const providerFailures: Record<RuntimeErrorKind, ProviderFailure> = {
  throttled: { message: 'the provider is throttling; retries did not get through', turnCode: 'provider_unavailable', refused: 'provider_unavailable' },
  unavailable: { message: 'the provider is unavailable', turnCode: 'provider_unavailable', refused: 'provider_unavailable' },
  timeout: { message: 'the provider did not answer in time', turnCode: 'provider_timeout', refused: 'provider_timeout' },
  not_found: { message: 'the provider no longer knows this session or target', turnCode: 'provider_session_gone', refused: 'provider_error' },
  invalid_target: { message: "the provider refused the agent's target", turnCode: 'provider_error', refused: 'provider_error' },
  stream_truncated: { message: 'the provider stream ended before the turn did', turnCode: 'provider_stream_truncated', refused: 'provider_error' },
  unsupported: { message: 'the provider does not support this', turnCode: 'provider_error', refused: 'provider_error' },
  provider_error: { message: 'the provider failed', turnCode: 'provider_error', refused: 'provider_error' },
};

/** A turn whose provider did not finish it within the turn timeout. */
export const turnTimedOut = { code: 'provider_timeout', message: 'the provider did not finish the turn in time' } as const;

/** A provider's own error code, when it looks like one (a token, not prose that could carry a host or address). */
const providerCodeShape = /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/;

/** Logs a provider failure with what support needs (the upstream text stays here). */
export function logProviderFailure(error: RuntimeError, message: string): void {
  logger.warn({ err: error, kind: error.kind, providerCode: error.providerCode, providerRequestId: error.providerRequestId }, message);
}

/** A provider failure, as the client sees it when the provider refused the call. */
export function toHttpError(error: RuntimeError): AppError {
  const providerCode = error.providerCode !== undefined && providerCodeShape.test(error.providerCode) ? error.providerCode : undefined;
  const extensions: Record<string, unknown> = { providerCode, providerRequestId: error.providerRequestId };
  const failure = providerFailures[error.kind];
  if (failure.refused === 'provider_unavailable') extensions.retryAfterSeconds = error.retryAfterSeconds ?? 5;
  return new AppError(failure.refused, failure.message, extensions);
}

/** The agent and runtime whose target a provider call used. */
export interface TargetOwner {
  provider: string;
  agentId: string;
}

/**
 * A provider failure, as the client sees it, when the call used an agent's
 * target: a refused or unknown target names the agent and runtime (and how
 * to check it) instead of a bare provider failure. Still a 502: it is the
 * provider's answer, not a malformed request.
 */
export function toTargetHttpError(error: RuntimeError, owner: TargetOwner): AppError {
  const problem = toHttpError(error);
  if (error.kind !== 'invalid_target' && error.kind !== 'not_found') return problem;
  return new AppError(
    'provider_error',
    `the ${owner.provider} runtime does not know or refuses the ${owner.provider} target of agent ${owner.agentId} (check it: POST /v1/agents/${owner.agentId}/check)`,
    { ...problem.extensions, provider: owner.provider, agent: owner.agentId },
  );
}

/**
 * The problem for a turn that failed after the provider accepted it, when
 * the client still waits for a status (JSON): 504 for a timeout, else 502,
 * carrying the recorded turn.
 */
export function failedTurnError(failure: { code: string; message: string }, turn: unknown): AppError {
  return new AppError(failure.code === 'provider_timeout' ? 'provider_timeout' : 'provider_error', failure.message, { turn });
}
