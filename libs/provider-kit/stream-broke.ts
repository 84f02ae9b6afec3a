import { RuntimeError } from '#libs/runtime-spec';

/**
 * The contract's error for a turn stream that broke after the provider
 * accepted the turn (a reset socket, a body that ends mid-event): always
 * `stream_truncated` with `turnAccepted: true`, since the turn may be running.
 * `what` says whose stream broke ("the Claude event stream broke"); the
 * underlying message follows it. Callers decide first what is NOT a broken
 * stream (their own RuntimeErrors, an abort they asked for).
 */
export function streamBroke(what: string, error: unknown, details: { providerRequestId?: string; providerCode?: string } = {}): RuntimeError {
  return new RuntimeError('stream_truncated', `${what}: ${(error as Error | undefined)?.message ?? 'unknown'}`, { turnAccepted: true, ...details, cause: error });
}
