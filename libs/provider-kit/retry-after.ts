/**
 * The longest wait a provider's `Retry-After` is taken at its word. Beyond
 * this the hint is clipped rather than trusted: the broker passes it on to
 * clients and uses it to space its own retries, and a misconfigured proxy's
 * "come back tomorrow" must not park a session that long.
 */
export const maxRetryAfterSeconds = 3600;

/**
 * Reads a `Retry-After` header value (RFC 9110 §10.2.3): either
 * `delay-seconds` (digits only) or an HTTP-date, turned into seconds from
 * `now`. Gives `undefined` when there is no usable hint: absent, garbage, a
 * date already past, or a zero delay (retry at once, as with no hint).
 * Results are whole seconds, capped at {@link maxRetryAfterSeconds}.
 * https://www.rfc-editor.org/rfc/rfc9110#section-10.2.3
 */
export function readRetryAfter(value: string | null | undefined, now = Date.now()): number | undefined {
  const text = value?.trim();
  if (!text) return undefined;
  const seconds = /^\d+$/.test(text) ? Number(text) : secondsUntil(text, now);
  if (seconds === undefined || !Number.isFinite(seconds) || seconds <= 0) return undefined;
  return Math.min(seconds, maxRetryAfterSeconds);
}

/** An HTTP-date (IMF-fixdate, or the obsolete RFC 850 and asctime forms recipients must accept) as whole seconds from `now`. */
function secondsUntil(text: string, now: number): number | undefined {
  // A date always names a weekday or a month in letters; this keeps Date.parse's leniency ("12", "1.5") out.
  if (!/[A-Za-z]{3}/.test(text)) return undefined;
  // asctime names no zone; every HTTP-date is in GMT, while Date.parse would read local time.
  const at = Date.parse(/\b(GMT|UTC)\b/i.test(text) ? text : `${text} GMT`);
  return Number.isNaN(at) ? undefined : Math.ceil((at - now) / 1000);
}
