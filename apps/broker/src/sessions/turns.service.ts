import { Inject, Injectable } from '@nestjs/common';
import type { Request, Response } from 'express';
import type { AppConfig } from '#libs/config';
import { AppError, conflict, notFound } from '#libs/errors';
import { newId } from '#libs/ids';
import { Database } from '#libs/persistence';
import type { InputPart, RuntimeAdapter, RuntimeEvent, TurnUsage } from '#libs/runtime-spec';
import { RuntimeError } from '#libs/runtime-spec';
import { appConfigToken } from '../app.tokens.js';
import { auditKeyringOf } from '../audit/audit-keyring.js';
import { lockChainHead, nextChainedEvent, type ChainHead } from '../audit/audit-log.js';
import { MeteringService } from '../costs/metering.service.js';
import { LimitDenial, LimitEnforcer, type BudgetReservation } from '../limits/limit-enforcer.js';
import type { StoredPolicies } from '../limits/limits.repository.js';
import { ReplicaTurnGate } from '../limits/replica-turn-gate.js';
import { logger } from '../logging/logger.js';
import { asRuntimeError, ProviderCalls, providerFailureMessages, toHttpError } from '../runtimes/provider-calls.js';
import { RuntimeMetrics } from '../runtimes/runtime-metrics.js';
import { RuntimeRegistry } from '../runtimes/runtime-registry.js';
import { findOwnSession } from './session-access.js';
import { handleOf } from './session-binding.js';
import { SessionEndedDuringTurn, SessionTerminator } from './session-terminator.js';
import { expiryReason } from './session-view.js';
import { SessionRepository, type Session } from './session.repository.js';
import type { SessionEventView, TurnBody, TurnView } from './session.schemas.js';
import { sessionCaller, type SessionCaller } from './sessions.service.js';
import { capEventContent, checkTurnInput } from './event-content.js';
import { SseWriter } from './sse-writer.js';
import { TurnRecorder } from './turn-recorder.js';
import { TurnRepository } from './turn.repository.js';

type Delivery = { kind: 'sse'; writer: SseWriter } | { kind: 'json' };

/** How a turn ended, as recorded. */
interface TurnOutcome {
  status: 'completed' | 'failed';
  output: Array<{ type: 'text'; text: string }>;
  usage: TurnUsage;
  error: { code: string; message: string } | null;
  /** Set when the failure happened before the provider accepted the turn: answered as an HTTP error. */
  httpError?: AppError;
  /** Whether the provider produced anything for this turn. */
  accepted: boolean;
  durationMs: number;
}

const emptyUsage: TurnUsage = { inputTokens: 0, outputTokens: 0 };

/**
 * Runs turns: one at a time per session (claimed in the database), streamed
 * as SSE or answered as JSON, recorded in full whatever the client does.
 *
 * HTTP status reflects whether the provider accepted the turn: failures
 * before that (throttled past retries, unavailable, timeout) are problem+json
 * responses; failures after it are a `turn.failed` event (SSE) or a failed
 * turn (JSON, 502/504 carrying the turn).
 */
@Injectable()
export class TurnsService {
  constructor(
    private readonly database: Database,
    private readonly registry: RuntimeRegistry,
    private readonly calls: ProviderCalls,
    private readonly terminator: SessionTerminator,
    private readonly metrics: RuntimeMetrics,
    private readonly metering: MeteringService,
    private readonly limits: LimitEnforcer,
    private readonly replicaGate: ReplicaTurnGate,
    @Inject(appConfigToken) private readonly config: AppConfig,
  ) {}

  async run(sessionId: string, body: TurnBody, request: Request, response: Response): Promise<void> {
    const leave = this.replicaGate.enter();
    try {
      await this.runAdmitted(sessionId, body, request, response);
    } finally {
      leave();
    }
  }

  private async runAdmitted(sessionId: string, body: TurnBody, request: Request, response: Response): Promise<void> {
    const caller = sessionCaller();
    const input: InputPart[] = typeof body.input === 'string' ? [{ type: 'text', text: body.input }] : body.input;
    checkTurnInput(input, this.config.content);
    const turnId = newId('trn');
    const claimStarted = performance.now();
    const { session, started, reservation } = await this.claim(caller, sessionId, turnId, input);
    this.metrics.turnBrokerWork.observe({ provider: session.provider, phase: 'claim' }, (performance.now() - claimStarted) / 1000);
    const delivery: Delivery = (request.header('accept') ?? '').includes('text/event-stream')
      ? { kind: 'sse', writer: new SseWriter(response, { heartbeatMs: this.config.content.sseHeartbeatMs, maxBufferedBytes: this.config.content.sseMaxBufferedBytes }) }
      : { kind: 'json' };
    const recorder = new TurnRecorder(this.database, { tenantId: caller.tenantId, sessionId, turnId }, started.seq + 1, (event) => {
      if (delivery.kind === 'sse') delivery.writer.send(event);
    });
    const outcome = await this.execute(session, started, input, recorder, delivery, reservation);
    if (delivery.kind === 'sse') {
      if (outcome.httpError && !delivery.writer.isOpen) throw outcome.httpError;
      delivery.writer.end();
      return;
    }
    if (outcome.httpError) throw outcome.httpError;
    const view: TurnView = {
      turn: {
        id: turnId,
        status: outcome.status,
        output: outcome.output,
        usage: {
          inputTokens: outcome.usage.inputTokens,
          outputTokens: outcome.usage.outputTokens,
          activeSeconds: Math.round((outcome.usage.providerActiveSeconds ?? outcome.durationMs / 1000) * 1000) / 1000,
        },
        durationMs: outcome.durationMs,
        ...(outcome.error ? { error: outcome.error } : {}),
      },
    };
    if (outcome.status === 'failed') {
      const code = outcome.error?.code === 'provider_timeout' ? 'provider_timeout' : 'provider_error';
      throw new AppError(code, outcome.error?.message ?? 'the turn failed', { turn: view.turn });
    }
    response.status(200).json(view);
  }

  /** Checks ownership, state and deadlines, and claims the session for this turn; all in one transaction. */
  private async claim(caller: SessionCaller, sessionId: string, turnId: string, input: InputPart[]) {
    const result = await this.database.inTenant(caller.tenantId, async (manager) => {
      const sessions = new SessionRepository(manager);
      // The common case in one statement; when it claims nothing, the session is read to tell why.
      let claimed: { session: Session; firstSeq: number; policies?: StoredPolicies; auditHead: ChainHead } | undefined = await sessions.claimOwnTurn(sessionId, caller.userId, turnId);
      if (!claimed) {
        const session = await findOwnSession(manager, caller, sessionId, 'turn');
        if (!session) return { kind: 'missing' as const };
        if (session.status === 'terminated') return { kind: 'terminated' as const, session };
        const expired = expiryReason(session);
        if (expired) return { kind: 'expired' as const, session, reason: expired };
        if (session.status === 'provisioning') return { kind: 'busy' as const };
        // The turn before may have ended since the first attempt.
        const firstSeq = await sessions.claimTurn(sessionId, turnId);
        if (firstSeq === undefined) return { kind: 'busy' as const };
        claimed = { session, firstSeq, auditHead: await lockChainHead(manager, caller.tenantId) };
      }
      const { session, firstSeq, auditHead } = claimed;
      // The transcript shows the turn began even if this replica dies during it.
      const started: SessionEventView = {
        id: newId('evt'),
        sessionId,
        turnId,
        seq: firstSeq,
        type: 'turn.started',
        at: new Date().toISOString(),
        data: { input },
      };
      const reservation = await this.limits.admitTurn(manager, caller, this.config.budgets.turnEstimateUsd, claimed.policies);
      if (reservation instanceof LimitDenial) {
        // (The denial's own audit record moved the chain past `auditHead`, which is not used.)
        await sessions.releaseTurn(sessionId, turnId);
        return { kind: 'denied' as const, denial: reservation };
      }
      // Chained on the head the claim locked: no audit append may happen in between.
      const accessed = nextChainedEvent(auditKeyringOf(manager), auditHead, caller.tenantId, {
        type: 'session.accessed',
        user: caller.userId,
        session: sessionId,
        provider: session.provider,
        providerSession: session.providerSessionId,
        detail: { action: 'turn', turnId },
      });
      await new TurnRepository(manager).insertRunning(
        { id: turnId, tenantId: caller.tenantId, sessionId, userId: caller.userId, input, budgetReservation: reservation },
        started,
        accessed,
      );
      return { kind: 'claimed' as const, session, started, reservation };
    });
    switch (result.kind) {
      case 'missing':
        throw notFound('session');
      case 'busy':
        throw conflict('turn_in_progress', 'a turn is already running in this session');
      case 'denied':
        throw result.denial.error;
      case 'expired': {
        const ended = await this.terminator.terminate(caller.tenantId, sessionId, result.reason);
        throw terminatedError(ended);
      }
      case 'terminated':
        throw terminatedError(result.session);
      case 'claimed':
        return result;
    }
  }

  private async execute(
    session: Session,
    started: SessionEventView,
    input: InputPart[],
    recorder: TurnRecorder,
    delivery: Delivery,
    reservation: BudgetReservation,
  ): Promise<TurnOutcome> {
    const turnId = started.turnId!;
    const adapter = this.registry.get(session.provider);
    const startedAt = performance.now();
    const controller = new AbortController();
    const timeout = setTimeout(() => controller.abort(new RuntimeError('timeout', 'the turn timed out')), this.config.runtimes.turnTimeoutMs);
    const untrack = this.terminator.trackTurn(session.id, controller);
    const output: Array<{ type: 'text'; text: string }> = [];
    let usage: TurnUsage = emptyUsage;
    let state: Record<string, unknown> | undefined;
    let failure: { code: string; message: string } | null = null;
    let httpError: AppError | undefined;
    let providerGone = false;
    let accepted = false;
    let terminatedDuringTurn: AppError | undefined;
    const attributes = { 'switchboard.provider': session.provider, 'switchboard.session': session.id, 'switchboard.tenant': session.tenantId, 'switchboard.provider_session': session.providerSessionId ?? '' };
    try {
      await this.calls.span('turn', { ...attributes, 'switchboard.turn': turnId }, async () => {
        if (!adapter) throw new RuntimeError('unavailable', `the ${session.provider} runtime is not registered on this broker`, { turnAccepted: false });
        const accept = () => {
          if (accepted) return;
          accepted = true;
          this.metrics.timeToFirstEvent.observe({ provider: session.provider }, (performance.now() - startedAt) / 1000);
          if (delivery.kind === 'sse') delivery.writer.open();
          recorder.announce(started);
        };
        for (let attempt = 0; ; attempt++) {
          try {
            let ended = false;
            for await (const event of this.events(adapter, session, turnId, input, controller.signal)) {
              accept();
              if (event.type === 'turn.end') {
                usage = event.usage;
                state = event.state;
                ended = true;
                break;
              }
              if (event.type === 'turn.error') {
                failure = { code: event.code, message: event.message };
                ended = true;
                break;
              }
              // An event over the stored-content cap is cut down, the same for the stream, the transcript and the answer.
              const data = capEventContent(eventData(event), this.config.content.eventContentMaxBytes);
              if (event.type === 'message.completed' && Array.isArray(data.content)) output.push(...(data.content as typeof event.content));
              recorder.record(event.type, data);
            }
            // An aborted stream may just end: the abort's reason (timeout, termination) is the real outcome.
            if (!ended && controller.signal.aborted) throw controller.signal.reason;
            if (!ended) failure = { code: 'provider_stream_truncated', message: 'the provider stream ended before the turn did' };
            return;
          } catch (error) {
            const runtimeError = asRuntimeError(controller.signal.aborted && !(error instanceof RuntimeError) ? controller.signal.reason : error);
            this.metrics.providerErrors.inc({ provider: session.provider, code: runtimeError.kind });
            if (!accepted && this.calls.mayRetry(runtimeError, attempt)) {
              await this.calls.backoff(runtimeError, attempt);
              continue;
            }
            if (runtimeError.kind === 'not_found') providerGone = true;
            failure = turnFailure(runtimeError, controller.signal);
            if (!accepted) {
              const abortReason: unknown = controller.signal.aborted ? controller.signal.reason : undefined;
              httpError =
                abortReason instanceof SessionEndedDuringTurn
                  ? new AppError('session_terminated', abortReason.message, { terminationReason: abortReason.reason })
                  : providerGone
                    ? undefined
                    : toHttpError(abortReason ? timeoutError() : runtimeError);
            }
            return;
          }
        }
      });
    } finally {
      clearTimeout(timeout);
      untrack();
    }
    const durationMs = Math.round(performance.now() - startedAt);
    // (Assigned in the closures above, which TypeScript's narrowing does not follow.)
    const failedSoFar = failure as { code: string; message: string } | null;
    if (failedSoFar) {
      // A session ended during the turn (here, or on another replica whose terminations this one does not
      // see, after which the provider cuts the stream) is the session ending, not a provider failure: 410.
      const current = await this.database.inTenant(session.tenantId, (manager) => new SessionRepository(manager).findById(session.id));
      if (current?.status === 'terminated') {
        failure = { code: 'session_terminated', message: `the session was terminated during the turn (${current.terminationReason ?? 'unknown'})` };
        providerGone = false;
        terminatedDuringTurn = terminatedError(current);
      }
    }
    const outcome: TurnOutcome = { status: failure ? 'failed' : 'completed', output, usage, error: failure, httpError: terminatedDuringTurn ?? httpError, durationMs, accepted };
    const recordStarted = performance.now();
    const { budgetExhausted } = await this.record(session, turnId, outcome, recorder, state, reservation);
    this.metrics.turnBrokerWork.observe({ provider: session.provider, phase: 'record' }, (performance.now() - recordStarted) / 1000);
    this.metrics.turnDuration.observe({ provider: session.provider, outcome: outcome.status }, durationMs / 1000);
    if (budgetExhausted && !providerGone) {
      await this.terminator.terminate(session.tenantId, session.id, 'budget', { turnId });
    }
    if (providerGone) {
      const ended = await this.terminator.terminate(session.tenantId, session.id, 'provider', { turnId });
      if (!delivery.kind || !('writer' in delivery) || !delivery.writer.isOpen) outcome.httpError = terminatedError(ended);
    }
    return outcome;
  }

  /** Runs the adapter's turn inside a span for the provider call. */
  private async *events(adapter: RuntimeAdapter, session: Session, turnId: string, input: InputPart[], signal: AbortSignal): AsyncIterable<RuntimeEvent> {
    yield* adapter.runTurn({ session: handleOf(session), turnId, input, signal });
  }

  /** The turn's terminal event, its row and the session's counters: one transaction. */
  private async record(
    session: Session,
    turnId: string,
    outcome: TurnOutcome,
    recorder: TurnRecorder,
    state: Record<string, unknown> | undefined,
    reservation: BudgetReservation,
  ): Promise<{ budgetExhausted: boolean }> {
    let budgetExhausted = false;
    const activeSeconds = outcome.durationMs / 1000;
    const data =
      outcome.status === 'completed'
        ? { usage: { inputTokens: outcome.usage.inputTokens, outputTokens: outcome.usage.outputTokens }, durationMs: outcome.durationMs }
        : { error: outcome.error };
    try {
      await recorder.finish(outcome.status === 'completed' ? 'turn.completed' : 'turn.failed', data, async (manager, transcript) => {
        const window = await new TurnRepository(manager).finish(
          {
            id: turnId,
            tenantId: session.tenantId,
            sessionId: session.id,
            ...outcome,
            activeSeconds,
            providerState: state,
            providerTouched: outcome.accepted,
          },
          transcript,
        );
        const costUsd = await this.metering.recordTurn(manager, { session, turnId, status: outcome.status, usage: outcome.usage, durationMs: outcome.durationMs }, window);
        budgetExhausted = await this.limits.settleTurn(manager, session, reservation, costUsd);
      });
      return { budgetExhausted };
    } catch (error) {
      logger.error({ err: error, sessionId: session.id, turnId }, 'could not record the end of a turn');
      throw error;
    }
  }
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
  }
}

function timeoutError(): RuntimeError {
  return new RuntimeError('timeout', 'the turn timed out');
}

function turnFailure(error: RuntimeError, signal: AbortSignal): { code: string; message: string } {
  if (signal.aborted) {
    const reason = signal.reason as unknown;
    return reason instanceof RuntimeError
      ? { code: 'provider_timeout', message: 'the provider did not finish the turn in time' }
      : { code: 'session_terminated', message: 'the session was terminated during the turn' };
  }
  const codes: Record<string, string> = {
    stream_truncated: 'provider_stream_truncated',
    not_found: 'provider_session_gone',
    throttled: 'provider_unavailable',
    unavailable: 'provider_unavailable',
    timeout: 'provider_timeout',
  };
  // The adapter's own message (upstream text) stays in the log (toHttpError logs it for refused turns).
  if (error.kind !== 'stream_truncated') logger.warn({ err: error, kind: error.kind }, 'turn failed at the provider');
  return { code: codes[error.kind] ?? 'provider_error', message: providerFailureMessages[error.kind] };
}

function terminatedError(session: Session): AppError {
  return new AppError('session_terminated', `the session is terminated (${session.terminationReason ?? 'unknown'})`, {
    terminationReason: session.terminationReason,
  });
}

export type { SessionEventView };
