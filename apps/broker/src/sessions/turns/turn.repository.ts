import { hotStatement, type Transaction } from '#libs/persistence';
import type { InputPart, TurnUsage } from '#libs/runtime-spec';
import { finishedTurnSetting } from './finished-turn.js';
import type { PendingTranscript } from './turn-recorder.js';
import { auditAppendSql, auditAppendValues, type ChainedAuditEvent } from '../../audit/audit-log.js';
// Which replica runs the turn, so another can end it if this one dies (a constant of the process: part of the statement's text).
import { thisReplicaId } from '../../lifecycle/replica-presence.js';

/** The turn's row, its `turn.started` event and its `session.accessed` audit record. */
const insertRunningStatement = (() => {
  const audit = auditAppendSql(11);
  return hotStatement(
    'insert_running_turn',
    `WITH turn AS (
       INSERT INTO turns (id, tenant_id, session_id, user_id, status, input, budget_reservation, replica_id)
       VALUES ($1, $2, $3, $4, 'running', $5, $10, '${thisReplicaId}')
     ), started AS (
       INSERT INTO session_events (tenant_id, session_id, seq, id, turn_id, type, at, data)
       VALUES ($2, $3, $6, $7, $1, 'turn.started', $8, $9)
     ), audited AS (
       ${audit.insertEvent}
     ), queued AS (
       ${audit.queueDeliveries}
     )
     ${audit.moveHead}`,
  );
})();

/**
 * The end of a turn in one statement: its not-yet-stored events (with the
 * session's next free seq), its row (ended at $19, epoch microseconds: the
 * end its meter record gets), the session's counters and claim. Only when
 * it ended the turn, it sets `app.finished_turn` (finished-turn.ts) for the
 * record's later writes; it returns whether it did.
 */
const finishTurnStatement = hotStatement(
  'finish_turn',
  `WITH finished AS (
     UPDATE turns SET status = $2, output = $3, error = $4, ended_at = (timestamptz 'epoch' + $19::bigint * interval '1 microsecond'), duration_ms = $5, active_seconds = $6,
       input_tokens = $7, output_tokens = $8, provider_active_seconds = $9, vcpu_seconds = $10, gib_seconds = $11,
       compute_estimated = $12
     WHERE id = $1 AND status = 'running'
     RETURNING id
   ), stored AS (
     INSERT INTO session_events (tenant_id, session_id, seq, id, turn_id, type, at, data)
     SELECT $17, $13, e.seq, e.id, e.turn_id, e.type, e.at, e.data
     FROM jsonb_to_recordset($16::jsonb) AS e(seq bigint, id text, turn_id text, type text, at timestamptz, data jsonb)
     WHERE EXISTS (SELECT 1 FROM finished)
   ), released AS (
     UPDATE sessions SET
       turn_count = turn_count + 1, input_tokens = input_tokens + $7, output_tokens = output_tokens + $8,
       active_seconds = active_seconds + coalesce($9, $6), provider_active_seconds = provider_active_seconds + coalesce($9, 0),
       provider_state = coalesce($14::jsonb, provider_state),
       last_activity_at = CASE WHEN $15 THEN now() ELSE last_activity_at END,
       idle_expires_at = CASE WHEN $15 THEN now() + make_interval(secs => idle_timeout_seconds) ELSE idle_expires_at END,
       status = CASE WHEN status = 'terminated' THEN status ELSE 'idle' END,
       current_turn_id = CASE WHEN current_turn_id = $1 THEN NULL ELSE current_turn_id END,
       turn_started_at = CASE WHEN current_turn_id = $1 THEN NULL ELSE turn_started_at END,
       next_event_seq = greatest(next_event_seq, $18)
     WHERE id = $13 AND EXISTS (SELECT 1 FROM finished)
   )
   SELECT EXISTS (SELECT 1 FROM finished) AS finished,
     CASE WHEN EXISTS (SELECT 1 FROM finished) THEN set_config('${finishedTurnSetting}', $1, true) END AS marked`,
);

/** Turns of the transaction's tenant: one row per turn, written at its start and its end. */
export class TurnRepository {
  constructor(private readonly tx: Transaction) {}

  /**
   * The turn's row, its `turn.started` event (whose seq the claim reserved)
   * and the audit record of the access (chained on the head the claim
   * locked), in one statement, deferred: it goes with the transaction's
   * next statement or its COMMIT (no round trip of its own).
   */
  async insertRunning(
    turn: { id: string; tenantId: string; sessionId: string; userId: string; input: InputPart[]; budgetReservation: unknown },
    started: { id: string; seq: number; at: string; data: Record<string, unknown> },
    audit: ChainedAuditEvent & { hash: string },
  ): Promise<void> {
    this.tx.defer(insertRunningStatement, [turn.id, turn.tenantId, turn.sessionId, turn.userId, JSON.stringify(turn.input), started.seq, started.id, started.at, JSON.stringify(started.data),
        JSON.stringify(turn.budgetReservation), ...auditAppendValues(audit)]);
  }

  /**
   * Ends the turn in one statement: stores its remaining events (all of this
   * session) and moves the session's next free seq past `transcript.nextSeq`;
   * ends the turn's row at `endedUs`; releases the session, which gains the
   * turn's usage, drops the claim (if still this turn's) and moves its idle
   * deadline when the provider saw the turn. A session terminated meanwhile
   * stays terminated. Answers whether it ended the turn: false, having
   * written nothing, when the turn is no longer running (ended elsewhere).
   *
   * `deferred`: the statement goes with the transaction's next statement
   * (the record's later writes, guarded by `onlyIfFinishedTurn`, in the same
   * round trip), and the answer comes only once that was sent: await it
   * after, never before.
   */
  finish(turn: {
    id: string;
    tenantId: string;
    sessionId: string;
    status: 'completed' | 'failed' | 'requires_action';
    output: Array<{ type: 'text'; text: string }>;
    error: { code: string; message: string } | null;
    durationMs: number;
    /** The broker's clock; the session counts the provider's active seconds instead when reported. */
    activeSeconds: number;
    usage: TurnUsage;
    providerState: Record<string, unknown> | undefined;
    /** False when the provider never accepted the turn: its idle clock did not move, so neither does ours. */
    providerTouched: boolean;
    /** When the turn ended (epoch microseconds): the end of its metering window. */
    endedUs: bigint;
  }, transcript: PendingTranscript, options: { deferred?: boolean } = {}): Promise<boolean> {
    const events = transcript.events.map((event) => ({ seq: event.seq, id: event.id, turn_id: event.turnId, type: event.type, at: event.at, data: event.data }));
    const values = [turn.id, turn.status, JSON.stringify(turn.output), turn.error && JSON.stringify(turn.error), turn.durationMs, turn.activeSeconds,
      turn.usage.inputTokens, turn.usage.outputTokens, turn.usage.providerActiveSeconds ?? null, turn.usage.vcpuSeconds ?? null,
      turn.usage.gibSeconds ?? null, turn.usage.computeEstimated ?? false, turn.sessionId,
      turn.providerState === undefined ? null : JSON.stringify(turn.providerState), turn.providerTouched,
      JSON.stringify(events), turn.tenantId, transcript.nextSeq, turn.endedUs.toString()];
    type Finished = { finished: boolean };
    const rows = options.deferred ? this.tx.deferRows<Finished>(finishTurnStatement, values) : this.tx.hot<Finished>(finishTurnStatement, values);
    const finished = rows.then(([row]) => row.finished);
    // Deferred, its failure is that of the statement it went with, which the caller sees first (and may never await this).
    finished.catch(() => undefined);
    return finished;
  }
}
