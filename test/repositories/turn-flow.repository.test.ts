import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { newId } from '#libs/ids';
import type { Database } from '#libs/persistence';
import { auditKeyringOf } from '../../apps/broker/src/audit/audit-keyring.js';
import { appendAuditEvent, lockChainHead, nextChainedEvent } from '../../apps/broker/src/audit/audit-log.js';
import { LifecycleRepository } from '../../apps/broker/src/lifecycle/lifecycle.repository.js';
import { LimitsRepository } from '../../apps/broker/src/limits/limits.repository.js';
import { SessionRepository } from '../../apps/broker/src/sessions/session.repository.js';
import { turnEvent } from '../../apps/broker/src/sessions/turns/turn-recorder.js';
import { TurnRepository } from '../../apps/broker/src/sessions/turns/turn.repository.js';
import { openRepositoryDatabase } from '../support/repository-database.js';

/**
 * The repository tier: the turn flow's statements against the real
 * database (embedded, or PostgreSQL with DATABASE_URL) with the real
 * migrations and row-level security, without HTTP or a runtime.
 */
describe('repositories: the turn flow', () => {
  let repo: Awaited<ReturnType<typeof openRepositoryDatabase>>;
  let database: Database;

  before(async () => {
    repo = await openRepositoryDatabase();
    database = repo.database;
  });
  after(() => repo.close());

  /** Claims the session for a turn as the turn flow does: the claim, then the turn row with its audit record. */
  function claimAndStart(tenantId: string, sessionId: string, userId: string, turnId: string) {
    return database.inTenant(tenantId, async (tx) => {
      const claimed = await new SessionRepository(tx).claimOwnTurn(sessionId, userId, turnId);
      if (!claimed) return undefined;
      const started = turnEvent({ sessionId, turnId }, claimed.firstSeq, 'turn.started', { input: [] });
      const accessed = nextChainedEvent(auditKeyringOf(tx), claimed.auditHead, tenantId, { type: 'session.accessed', user: userId, session: sessionId, detail: { action: 'turn', turnId } });
      await new TurnRepository(tx).insertRunning({ id: turnId, tenantId, sessionId, userId, input: [], budgetReservation: null }, started, accessed);
      return started;
    });
  }

  test('one turn at a time per session, only for its own user, only in its own tenant', async () => {
    const { tenantId, sessionId } = await repo.readySession();
    const other = await repo.newTenant();
    assert.equal(await database.inTenant(other, (tx) => new SessionRepository(tx).claimOwnTurn(sessionId, 'alice', newId('trn'))), undefined, 'another tenant cannot see the session');
    assert.equal(await database.inTenant(tenantId, (tx) => new SessionRepository(tx).claimOwnTurn(sessionId, 'bob', newId('trn'))), undefined, 'another user cannot claim it');
    const started = await claimAndStart(tenantId, sessionId, 'alice', newId('trn'));
    assert.ok(started, 'the owner claims it');
    assert.equal(await claimAndStart(tenantId, sessionId, 'alice', newId('trn')), undefined, 'a second turn waits for the first');
    const session = await database.inTenant(tenantId, (tx) => new SessionRepository(tx).findById(sessionId));
    assert.equal(session?.status, 'active');
  });

  test('finishing a turn stores its events and usage, releases the session and moves its seq', async () => {
    const { tenantId, sessionId } = await repo.readySession();
    const turnId = newId('trn');
    const started = (await claimAndStart(tenantId, sessionId, 'alice', turnId))!;
    const delta = turnEvent({ sessionId, turnId }, started.seq + 1, 'message.completed', { role: 'agent', content: [{ type: 'text', text: 'hi' }] });
    const completed = turnEvent({ sessionId, turnId }, started.seq + 2, 'turn.completed', { usage: { inputTokens: 7, outputTokens: 9 }, durationMs: 12 });
    const endedUs = BigInt(Date.now()) * 1000n;
    const finished = await database.inTenant(tenantId, (tx) =>
      new TurnRepository(tx).finish(
        { id: turnId, tenantId, sessionId, status: 'completed', output: [{ type: 'text', text: 'hi' }], error: null, durationMs: 12, activeSeconds: 0.012, usage: { inputTokens: 7, outputTokens: 9 }, providerState: { baseline: 1 }, providerTouched: true, endedUs },
        { events: [delta, completed].map((event) => ({ ...event, tenantId })), nextSeq: started.seq + 3 },
      ),
    );
    assert.equal(finished, true);
    const { session, types, turn } = await database.inTenant(tenantId, async (tx) => ({
      session: await new SessionRepository(tx).findById(sessionId),
      types: (await tx.rows<{ type: string }>(`SELECT type FROM session_events WHERE session_id = $1 ORDER BY seq`, [sessionId])).map((row) => row.type),
      turn: await tx.one<{ status: string; input_tokens: number; output_tokens: number; ended_us: string }>(
        `SELECT status, input_tokens, output_tokens, (extract(epoch FROM ended_at) * 1000000)::bigint::text AS ended_us FROM turns WHERE id = $1`,
        [turnId],
      ),
    }));
    assert.deepEqual(types, ['turn.started', 'message.completed', 'turn.completed']);
    assert.deepEqual(turn && { ...turn, input_tokens: Number(turn.input_tokens), output_tokens: Number(turn.output_tokens) }, { status: 'completed', input_tokens: 7, output_tokens: 9, ended_us: endedUs.toString() }, 'ended at the given end, to the microsecond');
    assert.equal(session?.status, 'idle');
    assert.deepEqual(session?.providerState, { baseline: 1 });
    const next = await claimAndStart(tenantId, sessionId, 'alice', newId('trn'));
    assert.equal(next?.seq, started.seq + 3, 'the next turn starts after the stored events');
  });

  test('a turn ended meanwhile by another replica is not finished again: nothing is written, the caller is told', async () => {
    const { tenantId, sessionId } = await repo.readySession();
    const turnId = newId('trn');
    const started = (await claimAndStart(tenantId, sessionId, 'alice', turnId))!;
    // As a reaper or a termination that took the turn's replica for gone ends it.
    await database.inTenant(tenantId, (tx) => tx.count(`UPDATE turns SET status = 'failed', ended_at = now() WHERE id = $1`, [turnId]));
    const completed = turnEvent({ sessionId, turnId }, started.seq + 1, 'turn.completed', { usage: { inputTokens: 7, outputTokens: 9 }, durationMs: 12 });
    const before = await database.inTenant(tenantId, (tx) => new SessionRepository(tx).findById(sessionId));
    const finished = await database.inTenant(tenantId, (tx) =>
      new TurnRepository(tx).finish(
        { id: turnId, tenantId, sessionId, status: 'completed', output: [], error: null, durationMs: 12, activeSeconds: 0.012, usage: { inputTokens: 7, outputTokens: 9 }, providerState: undefined, providerTouched: true, endedUs: BigInt(Date.now()) * 1000n },
        { events: [{ ...completed, tenantId }], nextSeq: started.seq + 2 },
      ),
    );
    assert.equal(finished, false);
    const { after, types, status } = await database.inTenant(tenantId, async (tx) => ({
      after: await new SessionRepository(tx).findById(sessionId),
      types: (await tx.rows<{ type: string }>(`SELECT type FROM session_events WHERE session_id = $1 ORDER BY seq`, [sessionId])).map((row) => row.type),
      status: (await tx.one<{ status: string }>(`SELECT status FROM turns WHERE id = $1`, [turnId]))?.status,
    }));
    assert.equal(status, 'failed', 'the first end stands');
    assert.deepEqual(types, ['turn.started'], 'no second terminal event');
    assert.deepEqual([after?.turnCount, after?.inputTokens], [before?.turnCount, before?.inputTokens], 'the session did not gain the turn twice');
  });

  test('a budget reserves only what fits, and settling books the real cost', async () => {
    const tenantId = await repo.newTenant();
    const month = '2026-12-01';
    // Compared as numbers: the ledger is numeric(…, 10) and answers '3.0000000000'.
    const ledger = async () => {
      const { spent, reserved } = await database.inTenant(tenantId, (tx) => new LimitsRepository(tx).ledger('alice', month));
      return { spent: Number(spent), reserved: Number(reserved) };
    };
    const reserve = (amount: string) => database.inTenant(tenantId, (tx) => new LimitsRepository(tx).reserve(tenantId, 'alice', month, amount, '5'));
    assert.equal(await reserve('3'), true);
    assert.equal(await reserve('3'), false, '3 + 3 is over the budget of 5');
    assert.deepEqual(await ledger(), { spent: 0, reserved: 3 });
    await database.inTenant(tenantId, (tx) => new LimitsRepository(tx).settle(tenantId, 'alice', month, '3', '1.25'));
    assert.deepEqual(await ledger(), { spent: 1.25, reserved: 0 });
    assert.equal(await reserve('3.75'), true, 'exactly up to the budget');
    assert.equal(await reserve('0.0001'), false);
  });

  test('audit events chain: each one names the hash before it, with no gap, and the head is the last', async () => {
    const tenantId = await repo.newTenant();
    await database.inTenant(tenantId, async (tx) => {
      await appendAuditEvent(tx, tenantId, { type: 'session.bound', user: 'alice', detail: { n: 1 } });
      await appendAuditEvent(tx, tenantId, { type: 'session.accessed', user: 'alice', detail: { n: 2 } });
    });
    const { events, head } = await database.inTenant(tenantId, async (tx) => ({
      events: await tx.rows<{ seq: string; prev_hash: string; hash: string }>(`SELECT seq, prev_hash, hash FROM audit_events WHERE tenant_id = $1 ORDER BY seq`, [tenantId]),
      head: await lockChainHead(tx, tenantId),
    }));
    assert.ok(events.length >= 2);
    for (let index = 1; index < events.length; index++) {
      assert.equal(Number(events[index].seq), Number(events[index - 1].seq) + 1, 'no gap in seq');
      assert.equal(events[index].prev_hash, events[index - 1].hash, 'each event names the one before it');
    }
    assert.equal(head.lastHash, events.at(-1)!.hash, 'the head is the last event');
    assert.equal(head.lastSeq, Number(events.at(-1)!.seq));
  });

  test('lifecycle sweeps find a turn still running whose replica went quiet, whatever its session state, and only that one', async () => {
    const stale = await repo.readySession();
    const ended = await repo.readySession();
    const fresh = await repo.readySession();
    const staleTurn = newId('trn');
    const endedTurn = newId('trn');
    await claimAndStart(stale.tenantId, stale.sessionId, 'alice', staleTurn);
    await claimAndStart(ended.tenantId, ended.sessionId, 'alice', endedTurn);
    const freshTurn = newId('trn');
    await claimAndStart(fresh.tenantId, fresh.sessionId, 'alice', freshTurn);
    // The stale turns began an hour ago, as if their replica died then; one session was terminated since (its claim dropped).
    await database.inPlatform((tx) => tx.count(`UPDATE turns SET started_at = now() - interval '1 hour' WHERE id = ANY($1)`, [[staleTurn, endedTurn]]));
    await database.inTenant(ended.tenantId, (tx) => new SessionRepository(tx).markTerminated(ended.sessionId, 'client'));
    const claims = await database.inPlatform((tx) => new LifecycleRepository(tx).findLostTurns(10 * 60_000, 1000));
    const turns = claims.map((claim) => claim.turnId);
    assert.ok(turns.includes(staleTurn), 'the stale turn is found');
    assert.ok(turns.includes(endedTurn), 'so is the one whose session was terminated');
    assert.ok(!turns.includes(freshTurn), 'a running turn is left alone');
  });
});
