/** How much of a response is read after its turn ended before the connection is given up instead. */
export const drainLimits = { ms: 5_000, items: 10_000 };

/**
 * Reads what is left of a streamed response after its turn ended, and drops
 * it, so that the connection goes back to the SDK's keep-alive pool.
 *
 * Providers say a turn is over before their response is: a Strands agent's
 * `result` comes before the AgentCore container's entrypoint returns, and
 * Foundry's `response.completed` before the stream closes. Closing the
 * response there instead (what leaving a `for await` early does) closes its
 * HTTP/1.1 connection, and the next turn pays a new TCP and TLS handshake
 * with the cloud. The rest is normally nothing but the end of the body; one
 * that does not come within the limits is given up with `giveUp`, which
 * closes the connection after all. Never awaited: the turn does not wait.
 */
export function drainRest(rest: AsyncIterator<unknown>, giveUp: () => void, limits = drainLimits): void {
  const timer = setTimeout(giveUp, limits.ms);
  timer.unref();
  void (async () => {
    try {
      for (let items = 0; !(await rest.next()).done; items++) {
        if (items >= limits.items) return giveUp();
      }
    } catch {
      // A connection that breaks while draining is no longer the turn's concern.
    } finally {
      clearTimeout(timer);
    }
  })();
}
