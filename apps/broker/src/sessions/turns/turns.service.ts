import { Inject, Injectable } from '@nestjs/common';
import type { AppConfig } from '#libs/config';
import { newId } from '#libs/ids';
import { Database } from '#libs/persistence';
import type { InputPart } from '#libs/runtime-spec';
import { appConfigToken } from '../../app.tokens.js';
import { ReplicaTurnGate } from '../../limits/replica-turn-gate.js';
import { RuntimeMetrics } from '../../runtimes/runtime-metrics.js';
import { RuntimeRegistry } from '../../runtimes/runtime-registry.js';
import { handleOf } from '../session-binding.js';
import { SessionTerminator } from '../session-terminator.js';
import type { TurnBody } from '../session.schemas.js';
import { sessionCaller } from '../sessions.service.js';
import { checkTurnInput } from './event-content.js';
import { TurnClaims, type ClaimedTurn } from './turn-claim.js';
import { TurnBus } from './live/turn-bus.js';
import { TurnCancellations } from './live/turn-cancellation.js';
import type { TurnDelivery } from './turn-delivery.js';
import { TurnExecution, type ExecutionListener, type ExecutionOutcome } from './turn-execution.js';
import { TurnRecorder } from './turn-recorder.js';
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
    private readonly bus: TurnBus,
    private readonly cancellations: TurnCancellations,
    @Inject(appConfigToken) private readonly config: AppConfig,
  ) {}

  async run(sessionId: string, body: TurnBody, delivery: TurnDelivery): Promise<void> {
    const leave = this.replicaGate.enter();
    try {
      delivery.finish(await this.runAdmitted(sessionId, body, delivery));
    } finally {
      leave();
    }
  }

  private async runAdmitted(sessionId: string, body: TurnBody, delivery: TurnDelivery): Promise<SettledTurn> {
    const caller = sessionCaller();
    const input: InputPart[] = typeof body.input === 'string' ? [{ type: 'text', text: body.input }] : body.input;
    checkTurnInput(input, this.config.content);
    const claimStarted = performance.now();
    const claimed = await this.claims.claim(caller, sessionId, newId('trn'), input);
    this.metrics.turnBrokerWork.observe({ provider: claimed.session.provider, phase: 'claim' }, (performance.now() - claimStarted) / 1000);
    const { started } = claimed;
    const recorder = new TurnRecorder(this.database, { tenantId: caller.tenantId, sessionId, turnId: started.turnId! }, started.seq + 1, (event) => {
      delivery.send(event);
      // Followers of the turn, on any replica (GET .../turns/{turnId}/events).
      this.bus.publish(event);
    });
    const outcome = await this.execute(claimed, input, {
      accepted: () => {
        delivery.open();
        recorder.announce(started);
      },
      event: (type, data) => recorder.record(type, data),
    });
    return this.settlement.settle(claimed, outcome, recorder);
  }

  /** Runs the claimed turn at its provider; a termination of the session meanwhile stops it. */
  private async execute(claimed: ClaimedTurn, input: InputPart[], listener: ExecutionListener): Promise<ExecutionOutcome> {
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
