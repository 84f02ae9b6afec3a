/**
 * Normalized events an adapter yields during a turn (API.md §4). The broker
 * adds ids, `seq`, timestamps, `turn.started` and the terminal
 * `turn.completed` / `turn.failed`; adapters only translate what the provider
 * sends.
 */
export type RuntimeEvent =
  | { type: 'message.delta'; text: string }
  | { type: 'message.completed'; content: ContentPart[] }
  | { type: 'tool.call'; id: string; name: string; input: unknown }
  | { type: 'tool.result'; id: string; output: unknown; isError: boolean }
  /**
   * The agent wants to run a tool call and waits for a person to allow or
   * deny it. A turn that yields any ends with `turn.end` as usual; the broker
   * reports it as stopped for `requires_action`, and the next turn's
   * `TurnRequest.approvals` carry the decisions.
   */
  | { type: 'approval.requested'; toolCallId: string; name: string; input: unknown }
  /** The provider's own end-of-turn signal, with what it measured of the turn. */
  | { type: 'turn.end'; usage: TurnUsage; state?: Record<string, unknown> }
  /** The provider reported that the turn failed (an in-band error, not a transport one). */
  | { type: 'turn.error'; code: string; message: string };

export type ContentPart = { type: 'text'; text: string };

/**
 * Usage of one turn. Figures the provider reported win over the broker's
 * clock; estimates (vCPU/GiB-seconds from a configured size) say so.
 */
export interface TurnUsage {
  inputTokens: number;
  outputTokens: number;
  /**
   * Prompt-cache reads: input tokens served from the provider's prompt cache,
   * NOT included in `inputTokens` (Anthropic's usage semantics: input,
   * cache reads and cache writes are disjoint and add up to the prompt).
   * Absent when the provider reports no cache use.
   */
  cacheReadInputTokens?: number;
  /**
   * Prompt-cache writes: input tokens written to the prompt cache (every
   * lifetime), NOT included in `inputTokens`. Absent when none were reported.
   */
  cacheCreationInputTokens?: number;
  /**
   * Of `cacheCreationInputTokens`, those written with a one-hour lifetime,
   * priced above the default (five-minute) writes. Absent means all writes
   * were five-minute ones.
   */
  cacheCreation1hInputTokens?: number;
  /** Active (billed) seconds the provider reported for this turn, if it reports them. */
  providerActiveSeconds?: number;
  vcpuSeconds?: number;
  gibSeconds?: number;
  /** True when vCPU/GiB-seconds are estimates from the target's configured size. */
  computeEstimated?: boolean;
  /**
   * False when the provider reported no token counts for the turn (the
   * zeros are then not measurements); absent means it did.
   */
  usageReported?: boolean;
}

/**
 * What a provider reports (or, where it reports nothing, what the adapter
 * estimates) for a whole session once it has ended, for the broker to
 * reconcile against what it metered turn by turn. Each part is absent when
 * the provider gives nothing better than the turns already did.
 */
export interface SessionTotals {
  /** The session's cumulative token counts, as the provider reports them (e.g. Claude `sessions.retrieve` usage). */
  tokens?: {
    inputTokens: number;
    outputTokens: number;
    cacheReadInputTokens?: number;
    cacheCreationInputTokens?: number;
    cacheCreation1hInputTokens?: number;
  };
  /** vCPU- and GiB-seconds over the session's billed life (idle time included where the provider bills it). */
  compute?: {
    vcpuSeconds: number;
    gibSeconds: number;
    /** True when derived by the adapter (a configured size × the broker's clock) rather than from the provider's own figures. */
    estimated: boolean;
  };
}

/** The broker's record of a session's life, on its own (database) clock, for {@link SessionTotals} estimates. */
export interface SessionLife {
  /** When the first turn started (the first invocation); null when no turn ran. */
  firstTurnStartedAt: Date | null;
  /** When the last turn ended; null when no turn ran. */
  lastTurnEndedAt: Date | null;
  /** When the broker ended the session. */
  endedAt: Date;
}
