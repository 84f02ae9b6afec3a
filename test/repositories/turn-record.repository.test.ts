import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { newId } from '#libs/ids';
import type { Database } from '#libs/persistence';
import { auditKeyringOf } from '../../apps/broker/src/audit/audit-keyring.js';
import { nextChainedEvent } from '../../apps/broker/src/audit/audit-log.js';
import { turnWindowEndingNow, type TurnWindowStart } from '../../apps/broker/src/costs/meter.repository.js';
import { MeteringService } from '../../apps/broker/src/costs/metering.service.js';
import { LimitsRepository } from '../../apps/broker/src/limits/limits.repository.js';
import { settleApprovals } from '../../apps/broker/src/sessions/approvals/tool-approvals.js';
import { SessionRepository, type Session } from '../../apps/broker/src/sessions/session.repository.js';
import { TurnIdempotencyRepository } from '../../apps/broker/src/sessions/turns/turn-idempotency.repository.js';
import { turnEvent } from '../../apps/broker/src/sessions/turns/turn-recorder.js';
import { TurnRepository } from '../../apps/broker/src/sessions/turns/turn.repository.js';
import { openRepositoryDatabase } from '../support/repository-database.js';

/**
 * A turn's record as `TurnSettlement.record` sends it (issue 17: one round
 * trip): the end of the turn deferred, then the key release, the meter
 * record, the pending approvals and the budget settlement, which commits.
 * Every write after the end is guarded by it, so a turn ended elsewhere
 * during its run gets nothing written.
 */
describe('repositories: a turn’s record in one round trip', () => {
  let repo: Awaited<ReturnType<typeof openRepositoryDatabase>>;
  let database: Database;
  const month = '2026-12-01';
  const reserved = '0.5';

  before(async () => {
    repo = await openRepositoryDatabase();
    database = repo.database;
  });
  after(() => repo.close());

  /** A tenant with a ready session, claimed for a turn (with a key and a budget reservation on both ledgers), as the turn flow does. */
  async function claimedTurn(): Promise<{ tenantId: string; session: Session; turnId: string; firstSeq: number; window: TurnWindowStart }> {
    const { tenantId, sessionId } = await repo.readySession('alice');
    const turnId = newId('trn');
    const claimed = await database.inTenant(tenantId, async (tx) => {
      const claim = (await new SessionRepository(tx).claimOwnTurn(sessionId, 'alice', turnId))!;
      const limits = new LimitsRepository(tx);
      assert.ok(await limits.reserve(tenantId, 'alice', month, reserved, '100'));
      assert.ok(await limits.reserve(tenantId, '', month, reserved, '100'));
      const started = turnEvent({ sessionId, turnId }, claim.firstSeq, 'turn.started', { input: [] });
      const accessed = nextChainedEvent(auditKeyringOf(tx), claim.auditHead, tenantId, { type: 'session.accessed', user: 'alice', session: sessionId, detail: { action: 'turn', turnId } });
      await new TurnRepository(tx).insertRunning({ id: turnId, tenantId, sessionId, userId: 'alice', input: [], budgetReservation: null }, started, accessed);
      assert.ok(await new TurnIdempotencyRepository(tx).insert({ tenantId, sessionId, key: `key-${turnId}`, requestHash: 'h', turnId }));
      return claim;
    }, { pipelined: true });
    return { tenantId, session: claimed.session, turnId, firstSeq: claimed.firstSeq, window: claimed.window };
  }

  /** The record, as `TurnSettlement.record` sends it for a turn the provider refused (its key is given back) that asked for approvals. */
  function record(turn: Awaited<ReturnType<typeof claimedTurn>>): Promise<{ finished: boolean; costUsd: string; endUs: bigint }> {
    const { tenantId, session, turnId } = turn;
    return database.inTenant(tenantId, async (tx) => {
      const window = turnWindowEndingNow(turn.window);
      const usage = { inputTokens: 1000, outputTokens: 2000, providerActiveSeconds: 3 };
      const completed = turnEvent({ sessionId: session.id, turnId }, turn.firstSeq + 1, 'turn.completed', { usage, durationMs: 3000 });
      const finished = new TurnRepository(tx).finish(
        { id: turnId, tenantId, sessionId: session.id, status: 'completed', output: [], error: null, durationMs: 3000, activeSeconds: 3, usage, providerState: undefined, providerTouched: true, endedUs: window.endUs },
        { events: [{ ...completed, tenantId }], nextSeq: turn.firstSeq + 2 },
        { deferred: true },
      );
      new TurnIdempotencyRepository(tx).release(turnId);
      const costUsd = await new MeteringService().recordTurn(tx, { session, turnId, status: 'completed', usage, durationMs: 3000 }, window);
      await settleApprovals(tx, session, { id: turnId, userId: 'alice', decisions: [], requested: [{ toolCallId: 'call_1', name: 'bash', turnId }] });
      await new LimitsRepository(tx).settleBoth(
        { tenantId, userId: 'alice', month, spent: costUsd, userReserved: reserved, tenantReserved: reserved, userBudget: '100', tenantBudget: '100', alertThresholds: [], turnId },
        { andCommit: true },
      );
      return { finished: await finished, costUsd, endUs: window.endUs };
    }, { pipelined: true });
  }

  /** What the record may have written. */
  function written(turn: Awaited<ReturnType<typeof claimedTurn>>) {
    return database.inTenant(turn.tenantId, async (tx) => ({
      meters: await tx.rows<{ start_us: string; end_us: string; price_book_version: number; cost_usd: string }>(
        `SELECT (extract(epoch FROM period_start) * 1000000)::bigint::text AS start_us, (extract(epoch FROM period_end) * 1000000)::bigint::text AS end_us,
           price_book_version, cost_usd::text FROM meter_records WHERE turn_id = $1`,
        [turn.turnId],
      ),
      turn: await tx.one<{ status: string; start_us: string; end_us: string | null }>(
        `SELECT status, (extract(epoch FROM started_at) * 1000000)::bigint::text AS start_us, (extract(epoch FROM ended_at) * 1000000)::bigint::text AS end_us FROM turns WHERE id = $1`,
        [turn.turnId],
      ),
      ledgers: (await tx.rows<{ user_id: string; spent: string; reserved: string }>(
        `SELECT user_id, spent_usd::float8::text AS spent, reserved_usd::float8::text AS reserved FROM budget_ledgers WHERE month = $1 ORDER BY user_id`,
        [month],
      )).map((row) => [row.user_id, row.spent, row.reserved]),
      session: await tx.one<{ cost_usd: string; pending_approvals: unknown }>(`SELECT cost_usd::float8::text AS cost_usd, pending_approvals FROM sessions WHERE id = $1`, [turn.session.id]),
      keys: Number((await tx.one<{ count: string }>(`SELECT count(*) AS count FROM turn_idempotency_keys WHERE turn_id = $1`, [turn.turnId]))!.count),
    }));
  }

  test('the turn’s row and its meter record agree on its window; the price book is the one in force at its start', async () => {
    const turn = await claimedTurn();
    const { finished, costUsd, endUs } = await record(turn);
    assert.equal(finished, true);
    const after = await written(turn);
    assert.equal(after.turn?.status, 'completed');
    assert.equal(after.turn?.start_us, turn.window.startUs.toString(), 'the claim read the turn’s start: its row’s started_at');
    assert.equal(after.turn?.end_us, endUs.toString());
    assert.equal(after.meters.length, 1);
    assert.deepEqual([after.meters[0].start_us, after.meters[0].end_us], [after.turn?.start_us, after.turn?.end_us], 'the meter record’s period is the turn’s');
    assert.equal(after.meters[0].price_book_version, turn.window.priceBookVersion);
    assert.equal(Number(after.meters[0].cost_usd), Number(costUsd));
    assert.ok(Number(costUsd) > 0, 'the list prices price tokens and session hours');
    // (A ledger and the session's cost keep 10 decimals.)
    const booked = String(Number(Number(costUsd).toFixed(10)));
    assert.deepEqual(after.ledgers, [['', booked, '0'], ['alice', booked, '0']], 'the reservation released, the cost booked on both ledgers');
    assert.equal(after.session?.cost_usd, booked);
    assert.deepEqual(after.session?.pending_approvals, [{ toolCallId: 'call_1', name: 'bash', turnId: turn.turnId }]);
    assert.equal(after.keys, 0, 'the key given back');
  });

  test('a turn ended elsewhere during its run: the record writes nothing (no meter record, no budget settlement) and says so', async () => {
    const turn = await claimedTurn();
    // As a reaper or a termination that took the turn's replica for gone ends it.
    await database.inTenant(turn.tenantId, (tx) => tx.count(`UPDATE turns SET status = 'failed', ended_at = now() WHERE id = $1`, [turn.turnId]));
    const before = await written(turn);
    const { finished } = await record(turn);
    assert.equal(finished, false);
    const after = await written(turn);
    assert.deepEqual(after, before, 'nothing written');
    assert.equal(after.meters.length, 0, 'no meter record');
    assert.deepEqual(after.ledgers, [['', '0', reserved], ['alice', '0', reserved]], 'no budget settlement');
    assert.equal(after.turn?.status, 'failed', 'the first end stands');
    assert.equal(after.keys, 1, 'the key is kept');
    assert.equal(after.session?.pending_approvals, null);
    // And the marker does not outlive its transaction: the next transaction on the connection writes nothing either.
    const stray = await database.inTenant(turn.tenantId, (tx) =>
      new LimitsRepository(tx).settleBoth(
        { tenantId: turn.tenantId, userId: 'alice', month, spent: '1', userReserved: '0', tenantReserved: '0', userBudget: null, tenantBudget: null, alertThresholds: [], turnId: turn.turnId },
        { andCommit: true },
      ),
    );
    assert.deepEqual(stray, { exhausted: false, crossed: [] });
    assert.deepEqual((await written(turn)).ledgers, after.ledgers);
  });
});
