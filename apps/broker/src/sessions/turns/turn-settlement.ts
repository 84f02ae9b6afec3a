import { Injectable } from '@nestjs/common';
import { AppError, conflict } from '#libs/errors';
import { Database } from '#libs/persistence';
import { RuntimeError } from '#libs/runtime-spec';
import { turnWindowEndingNow } from '../../costs/meter.repository.js';
import { MeteringService } from '../../costs/metering.service.js';
import { usageDetail } from '../../costs/usage-detail.js';
import { LimitEnforcer } from '../../limits/limit-enforcer.js';
import { LimitMetrics } from '../../limits/limit-metrics.js';
import { logger } from '../../logging/logger.js';
import { failedTurnError, logProviderFailure, providerFailures, toHttpError, toTargetHttpError, turnTimedOut, type TargetOwner } from '../../runtimes/provider-failures.js';
import { RuntimeMetrics } from '../../runtimes/runtime-metrics.js';
import { SessionTerminator } from '../session-terminator.js';
import { SessionRepository } from '../session.repository.js';
import type { TurnStatus, TurnView } from '../session.schemas.js';
import { settleApprovals, type TurnDecision } from '../approvals/tool-approvals.js';
import { terminatedError, type ClaimedTurn } from './turn-claim.js';
import type { ExecutionFailure, ExecutionOutcome } from './turn-execution.js';
import type { TurnRecorder } from './turn-recorder.js';
import { TurnIdempotencyRepository } from './turn-idempotency.repository.js';
import { TurnRepository } from './turn.repository.js';

type TurnFailure = { code: string; message: string };

/** A turn as recorded, and what a client still waiting for a status is answered when it did not complete. */
export interface SettledTurn {
  turn: TurnView['turn'];
  /** Set for every turn that did not complete (JSON answers it; an event stream that opened has already said it). */
  problem?: AppError;
}

/**
 * Settles a turn that ran: its terminal event, row, metering and budget in
 * one transaction, then what the turn ended: the session, when the
 * provider lost it or the budget ran out.
 */
@Injectable()
export class TurnSettlement {
  constructor(
    private readonly database: Database,
    private readonly terminator: SessionTerminator,
    private readonly metering: MeteringService,
    private readonly limits: LimitEnforcer,
    private readonly metrics: RuntimeMetrics,
    private readonly limitMetrics: LimitMetrics,
  ) {}

  async settle(claimed: ClaimedTurn, outcome: ExecutionOutcome, recorder: TurnRecorder, decisions: readonly TurnDecision[] = []): Promise<SettledTurn> {
    const { session } = claimed;
    const turnId = claimed.started.turnId!;
    let failure = outcome.failure && failureOf(outcome.failure);
    let providerGone = outcome.failure?.cause === 'provider' && outcome.failure.error.kind === 'not_found';
    let problem: AppError | undefined;
    if (failure) {
      // A session ended during the turn (here, or on another replica whose terminations this one does not
      // see, after which the provider cuts the stream) is the session ending, not a provider failure: 410.
      const current = await this.database.inTenant(session.tenantId, (manager) => new SessionRepository(manager).findById(session.id));
      if (current?.status === 'terminated') {
        failure = { code: 'session_terminated', message: `the session was terminated during the turn (${current.terminationReason ?? 'unknown'})` };
        providerGone = false;
        problem = terminatedError(current);
      }
    }
    const recordStarted = performance.now();
    const { budgetExhausted, costUsd } = await this.record(claimed, outcome, failure, recorder, decisions);
    // Counted once committed: a settlement refused as turn_ended_elsewhere booked nothing.
    this.limitMetrics.settled(session.provider, costUsd, budgetExhausted);
    this.metrics.turnBrokerWork.observe({ provider: session.provider, phase: 'record' }, (performance.now() - recordStarted) / 1000);
    this.metrics.turnDuration.observe({ provider: session.provider, outcome: failure ? 'failed' : 'completed' }, outcome.durationMs / 1000);
    if (providerGone) {
      problem = terminatedError(await this.terminator.terminate(session.tenantId, session.id, 'provider', { turnId }));
    } else if (budgetExhausted) {
      await this.terminator.terminate(session.tenantId, session.id, 'budget', { turnId });
    }
    const turn: TurnView['turn'] = {
      id: turnId,
      status: statusOf(outcome, failure),
      output: outcome.output,
      usage: {
        inputTokens: outcome.usage.inputTokens,
        outputTokens: outcome.usage.outputTokens,
        activeSeconds: Math.round((outcome.usage.providerActiveSeconds ?? outcome.durationMs / 1000) * 1000) / 1000,
        ...usageDetail(outcome.usage),
      },
      durationMs: outcome.durationMs,
      ...(failure ? { error: failure } : {}),
    };
    if (failure && !problem) {
      // A cancelled turn is the client's doing, not the provider's: 409 with the turn, accepted or not.
      if (outcome.failure?.cause === 'cancelled') problem = new AppError('conflict', turnCancelled.message, { reason: 'turn_cancelled', turn });
      else problem = outcome.accepted ? failedTurnError(failure, turn) : refusal(outcome.failure!, session);
    }
    return { turn, problem };
  }

  /**
   * The turn's terminal event, its row, its meter record and the budget
   * settlement: one transaction, in one round trip (issue 17): the opening,
   * the end of the turn, the meter record and the budget settlement go
   * together with the COMMIT. This works because nothing in it waits for
   * the database: the claim read the turn's start, the session's idle-since
   * and the price book (`ClaimedTurn.window`), and the turn ends now on the
   * broker's clock, so the turn is priced here before anything is sent. So
   * that a turn ended elsewhere meanwhile still gets nothing written, every
   * write after its end is guarded by it (finished-turn.ts). One more round
   * trip when the tenant watches budget alert thresholds, and one (before
   * the rest) when the turn carries approval decisions to audit. Returns its
   * cost and whether the budget ran out.
   */
  private async record(
    claimed: ClaimedTurn,
    outcome: ExecutionOutcome,
    failure: TurnFailure | undefined,
    recorder: TurnRecorder,
    decisions: readonly TurnDecision[],
  ): Promise<{ budgetExhausted: boolean; costUsd: string }> {
    const { session, reservation } = claimed;
    const turnId = claimed.started.turnId!;
    const status = statusOf(outcome, failure);
    const data = failure
      ? { error: failure }
      : {
          usage: { inputTokens: outcome.usage.inputTokens, outputTokens: outcome.usage.outputTokens },
          durationMs: outcome.durationMs,
          ...(status === 'requires_action' ? { stopReason: 'requires_action' } : {}),
        };
    // Ended meanwhile by another replica that took this one for gone (a reaper, a termination): its record stands, and
    // settling again would meter and release the budget twice. Nothing was written; the client is told.
    const endedElsewhere = () => conflict('turn_ended_elsewhere', 'the turn was ended by another replica while it ran; its recorded end stands');
    let budgetExhausted = false;
    let costUsd = '0';
    try {
      await recorder.finish(failure ? 'turn.failed' : 'turn.completed', data, async (manager, transcript) => {
        // The turn's row and its meter record end at the same instant.
        const window = turnWindowEndingNow(claimed.window);
        // Decisions are audited on the tenant's chain (a read of its head, not guarded by the turn's end): their turn's end
        // is sent and checked first. Otherwise it goes with everything below, which writes nothing unless it ended the turn.
        const deferred = !(outcome.accepted && decisions.length > 0);
        const finished = new TurnRepository(manager).finish(
          {
            id: turnId,
            tenantId: session.tenantId,
            sessionId: session.id,
            status,
            output: outcome.output,
            error: failure ?? null,
            durationMs: outcome.durationMs,
            activeSeconds: outcome.durationMs / 1000,
            usage: outcome.usage,
            providerState: outcome.state,
            providerTouched: outcome.accepted,
            endedUs: window.endUs,
          },
          transcript,
          { deferred },
        );
        if (!deferred && !(await finished)) throw endedElsewhere();
        // A refused turn gives its key back: the client's retry of a 503 is a new attempt, not the same refusal for a day.
        if (claimed.keyed && !outcome.accepted) new TurnIdempotencyRepository(manager).release(turnId);
        // A turn that stopped for approvals ran to its end: metered as completed.
        const metered = status === 'failed' ? 'failed' : 'completed';
        costUsd = await this.metering.recordTurn(manager, { session, turnId, status: metered, usage: outcome.usage, durationMs: outcome.durationMs }, window);
        if (outcome.accepted) {
          const requested = outcome.approvalsRequested.map((call) => ({ ...call, turnId }));
          await settleApprovals(manager, session, { id: turnId, userId: session.userId, decisions, requested });
        }
        // Last: it commits the transaction (with everything deferred), one round trip for all, unless alerts follow it.
        budgetExhausted = await this.limits.settleTurn(manager, session, reservation, costUsd, turnId);
        // Sent by now: when it ended nothing, nothing after it wrote either (a settlement that commits committed nothing).
        if (!(await finished)) throw endedElsewhere();
      });
      return { budgetExhausted, costUsd };
    } catch (error) {
      logger.error({ err: error, sessionId: session.id, turnId }, 'could not record the end of a turn');
      throw error;
    }
  }
}

/** A turn that ran to its end while tool calls wait for approval stopped for `requires_action` (API.md §4). */
function statusOf(outcome: ExecutionOutcome, failure: TurnFailure | undefined): TurnStatus {
  if (failure) return 'failed';
  return outcome.approvalsRequested.length > 0 ? 'requires_action' : 'completed';
}

/** The `error` a failed turn records. The adapter's own message (upstream text) only goes to the log. */
function failureOf(failure: ExecutionFailure): TurnFailure {
  switch (failure.cause) {
    case 'provider':
      if (failure.error.kind !== 'stream_truncated') logProviderFailure(failure.error, 'turn failed at the provider');
      return { code: providerFailures[failure.error.kind].turnCode, message: providerFailures[failure.error.kind].message };
    case 'reported':
      return { code: failure.code, message: failure.message };
    case 'timeout':
      return { ...turnTimedOut };
    case 'terminated':
      return { code: 'session_terminated', message: 'the session was terminated during the turn' };
    case 'cancelled':
      return { ...turnCancelled };
  }
}

const turnCancelled = { code: 'cancelled', message: 'the turn was cancelled' };

/** The problem for a turn the provider never accepted (API.md §4: answered with its status in both modes). */
function refusal(failure: ExecutionFailure, owner: TargetOwner): AppError {
  switch (failure.cause) {
    case 'provider':
      return toTargetHttpError(failure.error, owner);
    case 'timeout':
      return toHttpError(new RuntimeError('timeout', 'the turn timed out'));
    case 'terminated':
      return new AppError('session_terminated', 'the session was terminated during the turn');
    case 'reported':
      return new AppError('provider_error', failure.message);
    case 'cancelled':
      return new AppError('conflict', turnCancelled.message, { reason: 'turn_cancelled' });
  }
}
