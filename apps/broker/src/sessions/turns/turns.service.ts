import { createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { AppConfig } from '#libs/config';
import { newId } from '#libs/ids';
import { Database } from '#libs/persistence';
import type { ApprovalDecision, InputPart } from '#libs/runtime-spec';
import { appConfigToken } from '../../app.tokens.js';
import { canonicalJson } from '../../audit/canonical-json.js';
import { ReplicaTurnGate } from '../../limits/replica-turn-gate.js';
import { RuntimeMetrics } from '../../runtimes/runtime-metrics.js';
import { RuntimeRegistry } from '../../runtimes/runtime-registry.js';
import { handleOf } from '../session-binding.js';
import { SessionTerminator } from '../session-terminator.js';
import type { TurnBody } from '../session.schemas.js';
import { sessionCaller } from '../sessions.service.js';
import { checkTurnInput } from './event-content.js';
import { decisionsFor, toProviderDecisions, type TurnDecision } from '../approvals/tool-approvals.js';
import { TurnClaims, type ClaimedTurn } from './turn-claim.js';
import { TurnBus } from './live/turn-bus.js';
import { TurnCancellations } from './live/turn-cancellation.js';
import type { TurnDelivery } from './turn-delivery.js';
import { TurnExecution, type ExecutionListener, type ExecutionOutcome } from './turn-execution.js';
import { TurnRecorder } from './turn-recorder.js';
import { TurnRepeats } from './turn-repeats.js';
import { TurnSettlement, type SettledTurn } from './turn-settlement.js';

/**
 * Runs turns, one at a time per session, as a pipeline: claim (one
 * transaction), execution at the provider, settlement (recording, metering,
 * budgets, what the turn ended), each event handed to the client's delivery
 * as it happens. A turn is recorded in full whatever the client does.
 */
@Injectable()
export class TurnsService {
  constructor(
    private readonly database: Database,
    private readonly registry: RuntimeRegistry,
    private readonly claims: TurnClaims,
    private readonly execution: TurnExecution,
    private readonly settlement: TurnSettlement,
    private readonly terminator: SessionTerminator,
    private readonly metrics: RuntimeMetrics,
    private readonly replicaGate: ReplicaTurnGate,
    private readonly repeats: TurnRepeats,
    private readonly bus: TurnBus,
    private readonly cancellations: TurnCancellations,
    @Inject(appConfigToken) private readonly config: AppConfig,
  ) {}

  /** `idempotencyKey`: a request that repeats an earlier one with this key gets that request's turn (API.md §4). */
  async run(sessionId: string, body: TurnBody, delivery: TurnDelivery, idempotencyKey?: string): Promise<void> {
    const leave = this.replicaGate.enter();
    try {
      const settled = await this.runAdmitted(sessionId, body, delivery, idempotencyKey);
      // (A repeated request's stream was answered by following its turn.)
      if (settled) delivery.finish(settled);
    } finally {
      leave();
    }
  }

  private async runAdmitted(sessionId: string, body: TurnBody, delivery: TurnDelivery, idempotencyKey: string | undefined): Promise<SettledTurn | undefined> {
    const caller = sessionCaller();
    const input: InputPart[] = typeof body.input === 'string' ? [{ type: 'text', text: body.input }] : (body.input ?? []);
    checkTurnInput(input, this.config.content);
    const key = idempotencyKey === undefined ? undefined : { key: idempotencyKey, requestHash: createHash('sha256').update(canonicalJson(body)).digest('hex') };
    const claimStarted = performance.now();
    // Decided against the calls waiting as the claim sees them (session row locked): a wrong id rolls the claim back.
    let decisions: TurnDecision[] = [];
    const claimed = await this.claims.claim(caller, sessionId, newId('trn'), input, {
      key,
      admit: (session) => {
        decisions = decisionsFor(session.pendingApprovals, body.approvals);
      },
    });
    if (claimed.kind === 'repeated') return this.repeats.answer(caller, sessionId, claimed.turnId, delivery);
    this.metrics.turnBrokerWork.observe({ provider: claimed.session.provider, phase: 'claim' }, (performance.now() - claimStarted) / 1000);
    const { started } = claimed;
    // Published only while somebody follows it (a follower announces it on the bus).
    const stopPublishing = this.bus.runs(started.turnId!);
    try {
      return await this.runClaimed(claimed, input, decisions, delivery);
    } finally {
      stopPublishing();
    }
  }

  private async runClaimed(claimed: ClaimedTurn, input: InputPart[], decisions: TurnDecision[], delivery: TurnDelivery): Promise<SettledTurn> {
    const { started, session } = claimed;
    const recorder = new TurnRecorder(this.database, { tenantId: session.tenantId, sessionId: session.id, turnId: started.turnId! }, started.seq + 1, (event) => {
      delivery.send(event);
      // Followers of the turn, on any replica (GET .../turns/{turnId}/events).
      this.bus.publish(event);
    });
    const outcome = await this.execute(claimed, input, toProviderDecisions(decisions), {
      accepted: () => {
        delivery.open();
        recorder.announce(started);
      },
      event: (type, data) => recorder.record(type, data),
    });
    return this.settlement.settle(claimed, outcome, recorder, decisions);
  }

  /** Runs the claimed turn at its provider; a termination of the session meanwhile stops it. */
  private async execute(claimed: ClaimedTurn, input: InputPart[], approvals: ApprovalDecision[], listener: ExecutionListener): Promise<ExecutionOutcome> {
    const { session, started } = claimed;
    const stop = new AbortController();
    const untrack = this.terminator.trackTurn(session.id, stop);
    // POST .../cancel, from any replica, aborts the same signal (with TurnCancelled).
    const untrackCancel = this.cancellations.track(started.turnId!, stop);
    try {
      return await this.execution.execute(
        {
          adapter: this.registry.get(session.provider),
          provider: session.provider,
          tenantId: session.tenantId,
          sessionId: session.id,
          session: handleOf(session),
          turnId: started.turnId!,
          input,
          ...(approvals.length > 0 ? { approvals } : {}),
          stop: stop.signal,
        },
        listener,
      );
    } finally {
      untrack();
      untrackCancel();
    }
  }
}
