import { createHash } from 'node:crypto';

/** AgentCore's bounds for `runtimeSessionId` (Smithy `SessionType`); the SDK does not check them, the service does. */
export const runtimeSessionIdLength = { min: 33, max: 256 } as const;

const prefix = 'switchboard-';
/** Also a valid AgentCore Memory session id, so an agent may reuse it there (1–100 chars, this alphabet). */
const safe = /^[a-zA-Z0-9][a-zA-Z0-9_-]*$/;

/**
 * The `runtimeSessionId` of a broker session: derived, not random, so a
 * retried open yields the same id (AgentCore has no create call to dedupe).
 * Readable (`switchboard-ses_…`) when that fits AgentCore's rules, a hash of
 * the session id otherwise.
 */
export function runtimeSessionIdFor(sessionId: string): string {
  const readable = `${prefix}${sessionId}`;
  if (readable.length >= runtimeSessionIdLength.min && readable.length <= 100 && safe.test(readable)) return readable;
  return `${prefix}${createHash('sha256').update(sessionId).digest('hex')}`;
}
