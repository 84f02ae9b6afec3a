import { setImmediate as nextTick, setTimeout as sleep } from 'node:timers/promises';
import { countWords, type EmulatorClock, type EmulatorLogger, type EmulatorStats, type FaultPlan } from '#libs/emulator-kit';
import { newClaudeId } from './claude-ids.js';
import { planTurn, type ModelRequestPlan, type ModelUsage, type TurnInput } from './deterministic-agent.js';
import { applyPromptCache } from './prompt-cache.js';
import type { SessionEvent, SessionRecord, SessionStore } from './session-store.js';
import { usageSnapshot } from './session-view.js';

export interface TurnRunnerDeps {
  store: SessionStore;
  clock: EmulatorClock;
  faults: FaultPlan;
  stats: EmulatorStats;
  logger: EmulatorLogger;
  /** Real milliseconds between two streamed events; 0 only yields to the event loop. */
  pacingMs: number;
}

interface SessionQueue {
  pending: SessionEvent[];
  current?: AbortController;
  draining: boolean;
}

type Emit = (event: { type: string; [field: string]: unknown }) => Promise<SessionEvent>;

/** Why a running turn was stopped: an interrupt ends it like a normal turn, a halt just drops it. */
class TurnStopped extends Error {
  constructor(readonly kind: 'interrupt' | 'halt') {
    super(`turn stopped: ${kind}`);
  }
}
type StopReason = { type: 'end_turn' } | { type: 'retries_exhausted' } | { type: 'requires_action'; event_ids: string[] };

/** A turn stopped at a tool call that waits for a `user.tool_confirmation`: the call, and the message whose turn it is. */
interface AwaitedConfirmation {
  toolUseId: string;
  message: SessionEvent;
}

const modelErrorTypes: Record<number, string> = { 429: 'model_rate_limited_error', 529: 'model_overloaded_error' };

/**
 * Works through each session's queued `user.message` events, one turn at a
 * time, narrating each turn as the API does: `session.status_running`, a
 * model-request span per model call (tool use in between), the reply as
 * deltas then `agent.message`, `session.usage` (not on every turn, see
 * {@link TurnRunner.finishTurn}), `session.status_idle`. Each span's
 * `model_usage` splits the prompt into uncached input, cache reads and cache
 * writes (prompt-cache.ts).
 * Each model call moves the emulator clock forward by its planned duration,
 * and `active_seconds` is the clock time spent `running`, so it grows by the
 * turn's simulated duration (plus any time a test advances mid-turn). A
 * shared clock therefore moves for every session at once, as time would.
 * Faults on `turns.run` play out inside the turn: `delay` holds it after
 * `status_running`, `status` fails it with `session.error` and
 * `retries_exhausted`, `stall` (after `status_running`) and `truncate` (after
 * n events, if the turn has more) leave it running until an interrupt,
 * archive or delete; `hold` streams the turn's first text delta, then waits
 * until the fault plan is released (the agent has begun to answer: a client
 * sees an open turn), then runs the turn to its end.
 */
export class TurnRunner {
  private readonly queues = new Map<string, SessionQueue>();
  private readonly awaiting = new Map<string, AwaitedConfirmation>();

  constructor(private readonly deps: TurnRunnerDeps) {}

  /** Whether the session's agent waits for this `user.tool_confirmation` (it names the tool call the turn stopped at). */
  awaits(session: SessionRecord, confirmation: SessionEvent): boolean {
    return this.awaiting.get(session.id)?.toolUseId === confirmation.tool_use_id;
  }

  /** Queues a `user.message` (or an awaited `user.tool_confirmation`); the session counts as `running` from now until its queue is empty. */
  enqueue(session: SessionRecord, message: SessionEvent): void {
    let queue = this.queues.get(session.id);
    if (!queue) this.queues.set(session.id, (queue = { pending: [], draining: false }));
    queue.pending.push(message);
    this.markRunning(session);
    if (queue.draining) return;
    queue.draining = true;
    // Started on a later tick so the send's response goes out before the turn's first event.
    setImmediate(() => void this.drain(session, queue));
  }

  /** `user.interrupt`: drops what is queued and ends the running turn early, like a normal `end_turn`. */
  interrupt(session: SessionRecord): void {
    const queue = this.queues.get(session.id);
    if (queue) queue.pending.length = 0;
    if (queue?.current) queue.current.abort(new TurnStopped('interrupt'));
    else if (session.status === 'running') this.finishTurn(session, { type: 'end_turn' });
  }

  /** Stops all work for a session that is going away; the time it ran so far still counts. */
  halt(session: SessionRecord): void {
    const queue = this.queues.get(session.id);
    this.queues.delete(session.id);
    this.awaiting.delete(session.id);
    if (queue) queue.pending.length = 0;
    queue?.current?.abort(new TurnStopped('halt'));
    this.stopActiveClock(session);
  }

  haltAll(): void {
    for (const queue of this.queues.values()) {
      queue.pending.length = 0;
      queue.current?.abort(new TurnStopped('halt'));
    }
    this.queues.clear();
    this.awaiting.clear();
  }

  private async drain(session: SessionRecord, queue: SessionQueue): Promise<void> {
    try {
      for (let message = queue.pending.shift(); message; message = queue.pending.shift()) {
        queue.current = new AbortController();
        await this.runTurn(session, message, queue.current.signal);
      }
    } catch (error) {
      this.deps.logger.error({ err: error, sessionId: session.id }, 'emulated turn failed');
    } finally {
      queue.current = undefined;
      queue.draining = false;
      if (this.queues.get(session.id) === queue) this.queues.delete(session.id);
    }
  }

  private async runTurn(session: SessionRecord, message: SessionEvent, signal: AbortSignal): Promise<void> {
    const { store, faults, stats } = this.deps;
    stats.count('turns.run');
    const fault = faults.take('turns.run');
    this.markRunning(session);
    store.markProcessed(session, message);
    const emit = this.emitter(session, signal, fault?.kind === 'stall' ? 1 : fault?.kind === 'truncate' ? fault.afterEvents : Infinity);
    try {
      await emit({ type: 'session.status_running' });
      if (fault?.kind === 'delay') await sleep(fault.ms, undefined, { signal });
      if (fault?.kind === 'status') {
        const error = { type: modelErrorTypes[fault.status] ?? 'model_request_failed_error', message: `model request failed with HTTP ${fault.status}` };
        await emit({ type: 'session.error', error: { ...error, retry_status: { type: 'exhausted' } } });
        return this.finishTurn(session, { type: 'retries_exhausted' });
      }
      if (message.type === 'user.tool_confirmation') {
        await this.resumeAfterConfirmation(session, message, emit, signal);
      } else {
        // A `hold` is played once, after the turn's first text delta.
        let hold = fault?.kind === 'hold' ? () => faults.held(signal) : undefined;
        const takeHold = () => {
          const held = hold?.();
          hold = undefined;
          return held;
        };
        for (const request of planTurn(this.turnInput(session, message)).modelRequests) {
          const blockedOn = await this.runModelRequest(session, request, emit, signal, takeHold);
          if (blockedOn === undefined) continue;
          signal.throwIfAborted();
          this.awaiting.set(session.id, { toolUseId: blockedOn, message });
          return this.finishTurn(session, { type: 'requires_action', event_ids: [blockedOn] });
        }
      }
      signal.throwIfAborted();
      this.finishTurn(session, { type: 'end_turn' });
    } catch (error) {
      if (!signal.aborted) throw error;
      const interrupted = signal.reason instanceof TurnStopped && signal.reason.kind === 'interrupt';
      if (interrupted && session.status === 'running') this.finishTurn(session, { type: 'end_turn' });
    }
  }

  /** The rest of a turn that waited for this confirmation: the tool's result (or the denial), then the reply. */
  private async resumeAfterConfirmation(session: SessionRecord, confirmation: SessionEvent, emit: Emit, signal: AbortSignal): Promise<void> {
    const awaited = this.awaiting.get(session.id);
    if (!awaited || awaited.toolUseId !== confirmation.tool_use_id) return;
    this.awaiting.delete(session.id);
    const denyMessage = typeof confirmation.deny_message === 'string' ? confirmation.deny_message : undefined;
    const approval = confirmation.result === 'deny' ? { decision: 'deny' as const, message: denyMessage } : { decision: 'allow' as const };
    const [toolUse, ...rest] = planTurn(this.turnInput(session, awaited.message), approval).modelRequests;
    if (toolUse?.kind === 'tool_use') {
      const content = [{ type: 'text', text: toolUse.denied ?? toolUse.result }];
      await emit({ type: 'agent.tool_result', tool_use_id: awaited.toolUseId, content, is_error: toolUse.denied !== undefined });
    }
    for (const request of rest) await this.runModelRequest(session, request, emit, signal);
  }

  /** Runs one model call; returns the id of its tool call when that call waits for a confirmation. */
  private async runModelRequest(session: SessionRecord, request: ModelRequestPlan, emit: Emit, signal: AbortSignal, takeHold?: () => Promise<void> | undefined): Promise<string | undefined> {
    const start = await emit({ type: 'span.model_request_start' });
    // The emulated world spends the call's time: timestamps and active_seconds show it, no real waiting.
    this.deps.clock.advance(request.durationMs);
    const endSpan = (planned: ModelUsage) => {
      const model_usage = applyPromptCache(session, planned, this.deps.clock.now());
      session.inputTokens += model_usage.input_tokens;
      session.outputTokens += model_usage.output_tokens;
      session.cacheReadInputTokens += model_usage.cache_read_input_tokens;
      session.cacheCreationInputTokens += model_usage.cache_creation_input_tokens;
      return emit({ type: 'span.model_request_end', model_request_start_id: start.id, is_error: false, model_usage });
    };
    if (request.kind === 'tool_use') {
      const permission = request.needsApproval ? { evaluated_permission: 'ask', evaluation: { type: 'always_ask' } } : { evaluated_permission: 'allow' };
      const use = await emit({ type: 'agent.tool_use', name: request.name, input: request.input, ...permission });
      await endSpan(request.usage);
      if (request.needsApproval) return use.id;
      await emit({ type: 'agent.tool_result', tool_use_id: use.id, content: [{ type: 'text', text: request.result }], is_error: false });
      return undefined;
    }
    const id = newClaudeId('sevt');
    this.deps.store.sendDelta(session, { type: 'event_start', event: { type: 'agent.message', id } }, 'agent.message');
    for (const text of request.chunks) {
      const delta = { type: 'content_delta', index: 0, content: { type: 'text', text } };
      this.deps.store.sendDelta(session, { type: 'event_delta', event_id: id, delta }, 'agent.message');
      await takeHold?.();
      await this.pace(signal);
    }
    await emit({ id, type: 'agent.message', content: [{ type: 'text', text: request.text }] });
    await endSpan(request.usage);
    return undefined;
  }

  /**
   * Books the turn's active time, reports usage and goes idle, all in one go
   * so an interrupt cannot land between the two closing events.
   * `session.usage` is a periodic snapshot (the SDK's own words for
   * `BetaManagedAgentsSessionUsageEvent`), not a per-turn report: the docs
   * promise none at a turn's end, so every second turn of a session ends
   * without one, and a client that bills from the stream alone undercounts.
   * The session resource (`GET /v1/sessions/{id}`) always has the figures.
   */
  private finishTurn(session: SessionRecord, stopReason: StopReason): void {
    const { store, clock } = this.deps;
    this.stopActiveClock(session);
    session.status = 'idle';
    session.turnsFinished += 1;
    store.touch(session);
    if (session.turnsFinished % 2 === 1) store.append(session, { type: 'session.usage', usage: usageSnapshot(session, clock.now()), budget: session.budget });
    store.append(session, { type: 'session.status_idle', stop_reason: stopReason, stop_details: null });
  }

  /** Appends and paces the turn's events; after `remaining` of them the turn hangs until it is aborted. */
  private emitter(session: SessionRecord, signal: AbortSignal, remaining: number): Emit {
    return async (event) => {
      signal.throwIfAborted();
      if (remaining-- <= 0) await untilAborted(signal);
      const logged = this.deps.store.append(session, event);
      await this.pace(signal);
      return logged;
    };
  }

  private pace(signal: AbortSignal): Promise<void> {
    const { pacingMs } = this.deps;
    return pacingMs > 0 ? sleep(pacingMs, undefined, { signal }) : nextTick(undefined, { signal });
  }

  private markRunning(session: SessionRecord): void {
    if (session.status === 'running') return;
    session.status = 'running';
    session.runningSince = this.deps.clock.now();
    this.deps.store.touch(session);
  }

  private stopActiveClock(session: SessionRecord): void {
    if (session.runningSince === null) return;
    session.activeMs += this.deps.clock.now() - session.runningSince;
    session.runningSince = null;
  }

  private turnInput(session: SessionRecord, message: SessionEvent): TurnInput {
    const said = (type: string) =>
      session.events.filter((event) => event.type === type && event !== message && event.processed_at !== null).map(messageText);
    const earlierTexts = said('user.message');
    const contextWords = [...earlierTexts, ...said('agent.message')].reduce((sum, text) => sum + countWords(text), 0);
    return { text: messageText(message), earlierTexts, contextWords };
  }
}

/** The text blocks of a message event, joined; other block types carry nothing the emulated agent reads. */
function messageText(event: SessionEvent): string {
  const blocks = Array.isArray(event.content) ? (event.content as unknown[]) : [];
  return blocks
    .flatMap((block) => (isTextBlock(block) ? [block.text] : []))
    .join(' ')
    .trim();
}

function isTextBlock(block: unknown): block is { type: 'text'; text: string } {
  return typeof block === 'object' && block !== null && 'type' in block && block.type === 'text' && 'text' in block && typeof block.text === 'string';
}

function untilAborted(signal: AbortSignal): Promise<never> {
  return new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(signal.reason as Error), { once: true }));
}
