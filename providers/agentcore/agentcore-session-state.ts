import { z } from 'zod';
import type { Lifecycle } from './agentcore-target.js';

/**
 * What the adapter keeps per session (the broker stores it verbatim). AgentCore
 * has no session status call, so these timestamps are the only way to know
 * when it has reaped the microVM.
 */
export const sessionStateSchema = z.object({
  runtimeSessionId: z.string(),
  /** Turns that reached their end at the agent: from the first one on, the microVM holds conversation state. */
  turns: z.number().int().nonnegative().default(0),
  /** Epoch ms of the first invocation, when AgentCore booted the microVM (its lifetime starts). */
  startedAt: z.number().optional(),
  /** Epoch ms when the last invocation's response ended (AgentCore's idle clock starts). */
  lastContactAt: z.number().optional(),
  /** The lifecycle the runtime enforces, from the target or (when asked) the control plane. */
  lifecycle: z.object({ idleTimeoutSeconds: z.number(), maxLifetimeSeconds: z.number() }),
});
export type AgentCoreSessionState = z.infer<typeof sessionStateSchema>;

export type ReapReason = 'idle_timeout' | 'max_lifetime';

/**
 * Whether AgentCore has certainly reaped the microVM by now. The broker's own
 * deadlines normally end the session first; this catches the cases where its
 * idle clock was reset by turns that never reached AgentCore (throttled
 * before acceptance), since invoking a reaped session would silently boot a
 * fresh microVM with none of the conversation.
 */
export function reapedReason(state: AgentCoreSessionState, contact: ContactTimes | undefined, now: number): ReapReason | undefined {
  const startedAt = minDefined(state.startedAt, contact?.startedAt);
  const lastContactAt = maxDefined(state.lastContactAt, contact?.lastContactAt);
  if (startedAt !== undefined && now - startedAt >= state.lifecycle.maxLifetimeSeconds * 1000) return 'max_lifetime';
  if (lastContactAt !== undefined && now - lastContactAt >= state.lifecycle.idleTimeoutSeconds * 1000) return 'idle_timeout';
  return undefined;
}

export interface ContactTimes {
  startedAt: number;
  lastContactAt: number;
}

/**
 * Contact times seen by this process, including those of turns that failed
 * (whose state the broker does not store): without them, a truncated turn
 * that did reset AgentCore's idle clock would make a live session look reaped.
 * Bounded; on another replica the stored state alone is used (conservative).
 */
export class ContactLog {
  private readonly times = new Map<string, ContactTimes>();

  constructor(private readonly capacity = 10_000) {}

  get(runtimeSessionId: string): ContactTimes | undefined {
    return this.times.get(runtimeSessionId);
  }

  touch(runtimeSessionId: string, at: number): void {
    const known = this.times.get(runtimeSessionId);
    this.times.delete(runtimeSessionId);
    this.times.set(runtimeSessionId, { startedAt: known?.startedAt ?? at, lastContactAt: at });
    // Maps iterate in insertion order: the first key is the least recently touched.
    if (this.times.size > this.capacity) this.times.delete(this.times.keys().next().value!);
  }

  forget(runtimeSessionId: string): void {
    this.times.delete(runtimeSessionId);
  }
}

function minDefined(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined ? b : b === undefined ? a : Math.min(a, b);
}

function maxDefined(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined ? b : b === undefined ? a : Math.max(a, b);
}

/** The lifecycle the adapter enforces: the tighter of what the target says and what the control plane says. */
export function tighterLifecycle(target: Lifecycle, runtime: Partial<Lifecycle> | undefined): Lifecycle {
  return {
    idleTimeoutSeconds: Math.min(target.idleTimeoutSeconds, runtime?.idleTimeoutSeconds ?? Infinity),
    maxLifetimeSeconds: Math.min(target.maxLifetimeSeconds, runtime?.maxLifetimeSeconds ?? Infinity),
  };
}
