import type { ProviderId } from '#libs/runtime-spec';

/**
 * What a runtime contributes to the conformance suite (test/conformance): how
 * to drive faults on its emulator (the one the broker under test started
 * in-process). It lives in the runtime's folder (`conformance.fixture.ts`)
 * and its module points at it (`RuntimeModule.conformance`), so a registered
 * runtime without one does not compile. Test-only: the broker never loads it.
 *
 * Every emulator's deterministic agent follows two conventions the suite
 * relies on: a reply to turn N contains turn N−1's user text verbatim (state
 * continuity), a message containing the word "tool" makes the agent call
 * a tool (tool.call then tool.result), and where the runtime has tool
 * approvals, one that also says "approval" makes that call wait for a
 * person's decision.
 */
export interface ConformanceFixture<Id extends ProviderId = ProviderId> {
  /** The runtime's id (`provider` as the API names it in the requests the suite makes). */
  provider: Id;
  /** Extra broker environment for this runtime (mode overrides and the like). */
  env?: Record<string, string>;
  controls(emulator: unknown): EmulatorControls;
  /**
   * The bench baseline: the same session and turn run straight from the
   * runtime's SDK to the emulator, without the broker. The bench's broker
   * runs in its own process, so the emulator is given by its address.
   */
  direct(emulator: EmulatorAddress, target: unknown): Promise<DirectSession>;
  /**
   * Tool approvals (API.md §4). A runtime whose agents can ask a person to
   * approve a tool call (its emulator's agent then asks when a message says
   * "tool" and "approval") says whether a denial's `message` reaches the
   * agent (ADK's confirmation carries only yes or no). A runtime without
   * the concept says why, and the suite skips those scenarios with that reason.
   */
  approvals: { denialMessageReachesAgent: boolean } | { unsupported: string };
  /** The demo target of the runtime's emulator (fixed ids), for the bench. */
  benchTarget?: unknown;
}

/** How the bench reaches an emulator running inside the broker's process. */
export interface EmulatorAddress {
  url: string;
  host: string;
  port: number;
  /** The emulator's TLS CA (PEM), for HTTPS emulators. */
  caCertificate?: string;
}

export interface DirectSession {
  /** Runs one turn to its end; resolves with the ms from submission to the first streamed agent event. */
  turn(input: string): Promise<{ firstEventMs: number }>;
  close(): Promise<void>;
}

export interface EmulatorControls {
  /** The provider refuses the next `times` turn submissions as throttled (429-like), before accepting them. */
  throttleTurns(times: number): void;
  /**
   * The provider answers the next `times` turn submissions with HTTP `status`
   * (a gRPC runtime with that status's canonical code), before accepting
   * them: 503 is the provider being down, 400 a request it rejects.
   */
  refuseTurns(times: number, status: 400 | 503): void;
  /** Drops every fault not yet played (a scenario whose broker need not use them all). */
  clearFaults(): void;
  /** The next turn's response stream breaks after `afterEvents` provider events, without its terminator. */
  cutNextTurn(afterEvents: number): void;
  /** The next turn's first event is held back for `ms`. */
  delayNextTurn(ms: number): void;
  /** The provider loses the session (expired, deleted, reaped). */
  loseSession(providerSessionId: string): void;
  /** How many turns the emulated agent actually ran. */
  turnsRun(): number;
  /**
   * The transport connections the emulator has accepted, to show that
   * consecutive turns reuse the SDK's kept-alive connections (a new one is a
   * TCP and TLS handshake with the cloud); or why the emulator cannot count them.
   */
  connections: TurnConnections | { unsupported: string };
}

export interface TurnConnections {
  /** How many the emulator has accepted so far. */
  opened(): number;
  /** How many a turn opens by design (0 unless the runtime's protocol leaves no choice), and why. */
  perTurn: 0 | { count: number; why: string };
}
