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
  /** Active (billed) seconds the provider reported for this turn, if it reports them. */
  providerActiveSeconds?: number;
  vcpuSeconds?: number;
  gibSeconds?: number;
  /** True when vCPU/GiB-seconds are estimates from the target's configured size. */
  computeEstimated?: boolean;
}
