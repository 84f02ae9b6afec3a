import type { EntityManager } from 'typeorm';
import type { InputPart, TurnUsage } from '#libs/runtime-spec';

/** Turns of the transaction's tenant: one row per turn, written at its start and its end. */
export class TurnRepository {
  constructor(private readonly manager: EntityManager) {}

  /** The turn's row and its `turn.started` event (whose seq the claim reserved), in one statement. */
  async insertRunning(
    turn: { id: string; tenantId: string; sessionId: string; userId: string; input: InputPart[]; budgetReservation: unknown },
    started: { id: string; seq: number; at: string; data: Record<string, unknown> },
  ): Promise<void> {
    await this.manager.query(
      `WITH turn AS (
         INSERT INTO turns (id, tenant_id, session_id, user_id, status, input, budget_reservation) VALUES ($1, $2, $3, $4, 'running', $5, $10)
       )
       INSERT INTO session_events (tenant_id, session_id, seq, id, turn_id, type, at, data)
       VALUES ($2, $3, $6, $7, $1, 'turn.started', $8, $9)`,
      [turn.id, turn.tenantId, turn.sessionId, turn.userId, JSON.stringify(turn.input), started.seq, started.id, started.at, JSON.stringify(started.data),
        JSON.stringify(turn.budgetReservation)],
    );
  }

  async finish(turn: {
    id: string;
    status: 'completed' | 'failed';
    output: Array<{ type: 'text'; text: string }>;
    error: { code: string; message: string } | null;
    durationMs: number;
    activeSeconds: number;
    usage: TurnUsage;
  }): Promise<void> {
    await this.manager.query(
      `UPDATE turns SET status = $2, output = $3, error = $4, ended_at = now(), duration_ms = $5, active_seconds = $6,
         input_tokens = $7, output_tokens = $8, provider_active_seconds = $9, vcpu_seconds = $10, gib_seconds = $11,
         compute_estimated = $12
       WHERE id = $1`,
      [turn.id, turn.status, JSON.stringify(turn.output), turn.error && JSON.stringify(turn.error), turn.durationMs, turn.activeSeconds,
        turn.usage.inputTokens, turn.usage.outputTokens, turn.usage.providerActiveSeconds ?? null, turn.usage.vcpuSeconds ?? null,
        turn.usage.gibSeconds ?? null, turn.usage.computeEstimated ?? false],
    );
  }
}
