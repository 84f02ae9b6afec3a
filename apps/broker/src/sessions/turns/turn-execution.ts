import { Inject, Injectable } from '@nestjs/common';
import type { AppConfig } from '#libs/config';
import type { ApprovalDecision, ContentPart, InputPart, RuntimeAdapter, RuntimeEvent, SessionHandle, TurnUsage } from '#libs/runtime-spec';
import { RuntimeError } from '#libs/runtime-spec';
import { appConfigToken } from '../../app.tokens.js';
import { ProviderCalls } from '../../runtimes/provider-calls.js';
import { RuntimeMetrics } from '../../runtimes/runtime-metrics.js';
import type { EventType } from '../session.schemas.js';
import { capEventContent } from './event-content.js';
import { TurnCancelled } from './live/turn-cancellation.js';

/** Why a turn did not complete, as the execution saw it. */
export type ExecutionFailure =
  /** The provider call or its stream failed (or the stream ended before the turn did). */
  | { cause: 'provider'; error: RuntimeError }
  /** The provider reported the turn failed, in band. */
  | { cause: 'reported'; code: string; message: string }
  /** The turn outran the broker's turn timeout. */
  | { cause: 'timeout' }
  /** The session was ended while the turn ran (`stop` was aborted). */
  | { cause: 'terminated' }
  /** A client cancelled the turn (`stop` was aborted with TurnCancelled). */
  | { cause: 'cancelled' };

/** What running a turn at the provider came to: a value, nothing sent anywhere yet. */
export interface ExecutionOutcome {
  /** Whether the provider produced anything for this turn (from then on it is never retried). */
  accepted: boolean;
  output: ContentPart[];
  usage: TurnUsage;
  /** Provider state the adapter keeps with the session (e.g. a usage baseline). */
  state?: Record<string, unknown>;
  failure?: ExecutionFailure;
  /** Tool calls the agent asked a person to approve (`approval.requested`), in order. */
  approvalsRequested: Array<{ toolCallId: string; name: string }>;
  /** From the first call to the end of the provider's stream, retries included. */
  durationMs: number;
}

/** Who hears a turn as it runs (the turn pipeline: transcript and delivery). */
export interface ExecutionListener {
  /** The provider accepted the turn: called once, before its first event. */
  accepted(): void;
  /** An event of the turn, its content already capped to the stored-content limit. */
  event(type: Exclude<EventType, 'turn.started' | 'turn.completed' | 'turn.failed'>, data: Record<string, unknown>): void;
}

export interface TurnToRun {
  adapter: RuntimeAdapter | undefined;
  provider: string;
  tenantId: string;
  sessionId: string;
  session: SessionHandle;
  turnId: string;
  input: InputPart[];
  /** Decisions on the tool calls waiting for approval, handed to the provider before the input. */
  approvals?: ApprovalDecision[];
  /** Aborted when the session ends during the turn, or a client cancels it (reason TurnCancelled). */
  stop: AbortSignal;
}

const emptyUsage: TurnUsage = { inputTokens: 0, outputTokens: 0 };

/**
 * Drives one turn through a runtime adapter: retries that may only happen
 * before the provider accepted it (the one retry loop of ProviderCalls),
 * the turn timeout, a stop from outside, and the normalized events handed
 * to a listener. Returns an outcome value; it writes to no database and
 * no response.
 */
@Injectable()
export class TurnExecution {
  constructor(
    private readonly calls: ProviderCalls,
    private readonly metrics: RuntimeMetrics,
    @Inject(appConfigToken) private readonly config: AppConfig,
  ) {}

  async execute(turn: TurnToRun, listener: ExecutionListener): Promise<ExecutionOutcome> {
    const startedAt = performance.now();
    // The adapter's one signal: aborted by the turn timeout or by `stop`. Forwarded by hand rather than with
    // AbortSignal.any, whose composite signal registers weak references and finalizers per turn: held as
    // long as the turn's stream is open, and a broker may hold thousands (issue 17 item 6).
    const aborting = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      aborting.abort(new RuntimeError('timeout', 'the turn timed out'));
    }, this.config.runtimes.turnTimeoutMs);
    const forwardStop = () => aborting.abort(turn.stop.reason);
    if (turn.stop.aborted) forwardStop();
    else turn.stop.addEventListener('abort', forwardStop, { once: true });
    const signal = aborting.signal;
    const outcome: Omit<ExecutionOutcome, 'durationMs'> = { accepted: false, output: [], usage: emptyUsage, approvalsRequested: [] };
    const accept = (firstEvent = true) => {
      if (outcome.accepted) return;
      outcome.accepted = true;
      if (firstEvent) this.metrics.timeToFirstEvent.observe({ provider: turn.provider }, (performance.now() - startedAt) / 1000);
      listener.accepted();
    };
    const attributes = {
      'switchboard.provider': turn.provider,
      'switchboard.session': turn.sessionId,
      'switchboard.tenant': turn.tenantId,
      'switchboard.provider_session': turn.session.providerSessionId ?? '',
      'switchboard.turn': turn.turnId,
    };
    try {
      await this.calls.span('turn', attributes, () =>
        this.calls.retrying(
          turn.provider,
          () =>
            this.stream(turn, signal, outcome, accept, listener).catch((error: unknown) => {
              // A session ended during the turn is not a provider failure (nor counted as one).
              if (!turn.stop.aborted) throw error;
              outcome.failure = stopped(turn.stop);
            }),
          () => !outcome.accepted && !signal.aborted,
        ),
      );
    } catch (error) {
      // An abort's reason is the real outcome, whatever the adapter made of it.
      outcome.failure = turn.stop.aborted
        ? stopped(turn.stop)
        : timedOut
          ? { cause: 'timeout' }
          : { cause: 'provider', error: error as RuntimeError };
      // A stream that broke (or ended) before its first event still means the provider took the turn:
      // it is answered as a failed turn, not as a refusal (API.md §4).
      if (outcome.failure.cause === 'provider' && outcome.failure.error.kind === 'stream_truncated') accept(false);
    } finally {
      clearTimeout(timer);
      turn.stop.removeEventListener('abort', forwardStop);
    }
    return { ...outcome, durationMs: Math.round(performance.now() - startedAt) };
  }

  /** One attempt: the adapter's events until its end of turn (recorded in `outcome`), or a throw. */
  private async stream(
    turn: TurnToRun,
    signal: AbortSignal,
    outcome: Omit<ExecutionOutcome, 'durationMs'>,
    accept: () => void,
    listener: ExecutionListener,
  ): Promise<void> {
    if (!turn.adapter) throw new RuntimeError('unavailable', `the ${turn.provider} runtime is not registered on this broker`, { turnAccepted: false });
    for await (const event of turn.adapter.runTurn({ session: turn.session, turnId: turn.turnId, input: turn.input, approvals: turn.approvals, signal })) {
      accept();
      if (event.type === 'turn.end') {
        outcome.usage = event.usage;
        outcome.state = event.state;
        return;
      }
      if (event.type === 'turn.error') {
        outcome.failure = { cause: 'reported', code: event.code, message: event.message };
        return;
      }
      // An event over the stored-content cap is cut down, the same for the stream, the transcript and the answer.
      const data = capEventContent(eventData(event), this.config.content.eventContentMaxBytes);
      if (event.type === 'message.completed' && Array.isArray(data.content)) outcome.output.push(...(data.content as ContentPart[]));
      if (event.type === 'approval.requested') outcome.approvalsRequested.push({ toolCallId: event.toolCallId, name: event.name });
      listener.event(event.type, data);
    }
    // An aborted stream may just end: the abort's reason (timeout, termination) is the outcome.
    if (signal.aborted) throw signal.reason;
    throw new RuntimeError('stream_truncated', 'the provider stream ended before the turn did', { turnAccepted: true });
  }
}

/** Why a turn was stopped from outside: a cancel, or its session ending. */
function stopped(stop: AbortSignal): ExecutionFailure {
  return stop.reason instanceof TurnCancelled ? { cause: 'cancelled' } : { cause: 'terminated' };
}

function eventData(event: Exclude<RuntimeEvent, { type: 'turn.end' | 'turn.error' }>): Record<string, unknown> {
  switch (event.type) {
    case 'message.delta':
      return { text: event.text };
    case 'message.completed':
      return { role: 'agent', content: event.content };
    case 'tool.call':
      return { id: event.id, name: event.name, input: event.input };
    case 'tool.result':
      return { id: event.id, output: event.output, isError: event.isError };
    case 'approval.requested':
      return { toolCallId: event.toolCallId, name: event.name, input: event.input };
  }
}
