import type { EntityManager } from 'typeorm';
import { hotStatement, runHot } from '#libs/persistence';
import type { InputPart, TurnUsage } from '#libs/runtime-spec';

const insertRunningStatement = hotStatement(
  'insert_running_turn',
  `WITH turn AS (
     INSERT INTO turns (id, tenant_id, session_id, user_id, status, input, budget_reservation) VALUES ($1, $2, $3, $4, 'running', $5, $10)
   )
   INSERT INTO session_events (tenant_id, session_id, seq, id, turn_id, type, at, data)
   VALUES ($2, $3, $6, $7, $1, 'turn.started', $8, $9)`,
);

const finishTurnStatement = hotStatement(
  'finish_turn',
  `WITH finished AS (
     UPDATE turns SET status = $2, output = $3, error = $4, ended_at = now(), duration_ms = $5, active_seconds = $6,
       input_tokens = $7, output_tokens = $8, provider_active_seconds = $9, vcpu_seconds = $10, gib_seconds = $11,
       compute_estimated = $12
     WHERE id = $1
   )
   UPDATE sessions SET
     turn_count = turn_count + 1, input_tokens = input_tokens + $7, output_tokens = output_tokens + $8,
     active_seconds = active_seconds + coalesce($9, $6), provider_active_seconds = provider_active_seconds + coalesce($9, 0),
     provider_state = coalesce($14::jsonb, provider_state),
     last_activity_at = CASE WHEN $15 THEN now() ELSE last_activity_at END,
     idle_expires_at = CASE WHEN $15 THEN now() + make_interval(secs => idle_timeout_seconds) ELSE idle_expires_at END,
     status = CASE WHEN status = 'terminated' THEN status ELSE 'idle' END,
     current_turn_id = CASE WHEN current_turn_id = $1 THEN NULL ELSE current_turn_id END,
     turn_started_at = CASE WHEN current_turn_id = $1 THEN NULL ELSE turn_started_at END
   WHERE id = $13`,
);

/** Turns of the transaction's tenant: one row per turn, written at its start and its end. */
export class TurnRepository {
  constructor(private readonly manager: EntityManager) {}

  /** The turn's row and its `turn.started` event (whose seq the claim reserved), in one statement. */
  async insertRunning(
    turn: { id: string; tenantId: string; sessionId: string; userId: string; input: InputPart[]; budgetReservation: unknown },
    started: { id: string; seq: number; at: string; data: Record<string, unknown> },
  ): Promise<void> {
    await runHot(this.manager, insertRunningStatement, [turn.id, turn.tenantId, turn.sessionId, turn.userId, JSON.stringify(turn.input), started.seq, started.id, started.at, JSON.stringify(started.data),
        JSON.stringify(turn.budgetReservation)]);
  }

  /**
   * Ends the turn's row and releases its session in one statement: the
   * session gains the turn's usage, drops the claim (if still this turn's)
   * and moves its idle deadline when the provider saw the turn. A session
   * terminated meanwhile stays terminated.
   */
  async finish(turn: {
    id: string;
    sessionId: string;
    status: 'completed' | 'failed';
    output: Array<{ type: 'text'; text: string }>;
    error: { code: string; message: string } | null;
    durationMs: number;
    /** The broker's clock; the session counts the provider's active seconds instead when reported. */
    activeSeconds: number;
    usage: TurnUsage;
    providerState: Record<string, unknown> | undefined;
    /** False when the provider never accepted the turn: its idle clock did not move, so neither does ours. */
    providerTouched: boolean;
  }): Promise<void> {
    await runHot(this.manager, finishTurnStatement, [turn.id, turn.status, JSON.stringify(turn.output), turn.error && JSON.stringify(turn.error), turn.durationMs, turn.activeSeconds,
        turn.usage.inputTokens, turn.usage.outputTokens, turn.usage.providerActiveSeconds ?? null, turn.usage.vcpuSeconds ?? null,
        turn.usage.gibSeconds ?? null, turn.usage.computeEstimated ?? false, turn.sessionId,
        turn.providerState === undefined ? null : JSON.stringify(turn.providerState), turn.providerTouched]);
  }
}
