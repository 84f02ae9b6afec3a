import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { newId } from '#libs/ids';
import type { Database } from '#libs/persistence';
import { auditKeyringOf } from '../../apps/broker/src/audit/audit-keyring.js';
import { nextChainedEvent } from '../../apps/broker/src/audit/audit-log.js';
import { SessionRepository } from '../../apps/broker/src/sessions/session.repository.js';
import type { SessionEventView } from '../../apps/broker/src/sessions/session.schemas.js';
import { TurnRecorder, turnEvent } from '../../apps/broker/src/sessions/turns/turn-recorder.js';
import { TurnRepository } from '../../apps/broker/src/sessions/turns/turn.repository.js';
import { openRepositoryDatabase } from '../support/repository-database.js';

/**
 * What a client saw is in the transcript (issue 16 item 9): the recorder
 * hands a stored event type to the live listener only once its write has
 * committed, so a replica that dies right after a client received
 * `message.completed` or `tool.call` has already stored it. Deltas are never
 * stored and still come in `seq` order.
 */
describe('repositories: the turn recorder stores before it sends', () => {
  let repo: Awaited<ReturnType<typeof openRepositoryDatabase>>;
  let database: Database;

  before(async () => {
    repo = await openRepositoryDatabase();
    database = repo.database;
  });
  after(() => repo.close());

  /** A tenant with one ready session whose turn `turnId` is claimed and started. */
  async function startedTurn(): Promise<{ tenantId: string; sessionId: string; turnId: string; started: SessionEventView }> {
    const { tenantId, sessionId } = await repo.readySession('alice');
    const turnId = newId('trn');
    const started = await database.inTenant(tenantId, async (tx) => {
      const claimed = (await new SessionRepository(tx).claimOwnTurn(sessionId, 'alice', turnId))!;
      const started = turnEvent({ sessionId, turnId }, claimed.firstSeq, 'turn.started', { input: [] });
      const accessed = nextChainedEvent(auditKeyringOf(tx), claimed.auditHead, tenantId, { type: 'session.accessed', user: 'alice', session: sessionId, detail: { action: 'turn', turnId } });
      await new TurnRepository(tx).insertRunning({ id: turnId, tenantId, sessionId, userId: 'alice', input: [], budgetReservation: null }, started, accessed);
      return started;
    });
    return { tenantId, sessionId, turnId, started };
  }

  const storedSeqs = (tenantId: string, sessionId: string) =>
    database.inTenant(tenantId, async (tx) => (await tx.rows<{ seq: string }>(`SELECT seq FROM session_events WHERE session_id = $1 ORDER BY seq`, [sessionId])).map((row) => Number(row.seq)));

  test('each stored event type is in the database when the listener gets it; deltas flow in seq order', async () => {
    const { tenantId, sessionId, turnId, started } = await startedTurn();
    const heard: Array<{ event: SessionEventView; stored: Promise<number[]> }> = [];
    // What a client holds at the moment it is handed an event: the transcript as the database has it then.
    const recorder = new TurnRecorder(database, { tenantId, sessionId, turnId }, started.seq + 1, (event) => heard.push({ event, stored: storedSeqs(tenantId, sessionId) }));
    recorder.record('message.delta', { text: 'Hel' });
    recorder.record('tool.call', { id: 'call-1', name: 'lookup', input: {} });
    recorder.record('message.delta', { text: 'lo' });
    recorder.record('tool.result', { id: 'call-1', output: 'ok', isError: false });
    recorder.record('message.completed', { role: 'agent', content: [{ type: 'text', text: 'Hello' }] });
    recorder.record('message.delta', { text: 'more' });
    // A turn that runs on: the listener must have had every event before the turn ends.
    while (heard.length < 6) await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(heard.map(({ event }) => event.seq), [1, 2, 3, 4, 5, 6].map((n) => started.seq + n), 'every event once, in seq order');
    for (const { event, stored } of heard) {
      const durable = await stored;
      if (event.type === 'message.delta') assert.ok(!durable.includes(event.seq), 'a delta is never stored');
      else assert.ok(durable.includes(event.seq), `${event.type} (seq ${event.seq}) was stored before the listener got it`);
    }
    await recorder.finish('turn.completed', { usage: { inputTokens: 1, outputTokens: 1 }, durationMs: 1 }, async (tx, transcript) => {
      await new TurnRepository(tx).finish(
        { id: turnId, tenantId, sessionId, status: 'completed', output: [], error: null, durationMs: 1, activeSeconds: 0.001, usage: { inputTokens: 1, outputTokens: 1 }, providerState: undefined, providerTouched: true, endedUs: BigInt(Date.now()) * 1000n },
        transcript,
      );
    });
    assert.deepEqual(await storedSeqs(tenantId, sessionId), [0, 2, 4, 5, 7].map((n) => started.seq + n), 'the transcript: turn.started, tool.call, tool.result, message.completed, turn.completed');
    const session = await database.inTenant(tenantId, (tx) => new SessionRepository(tx).findById(sessionId));
    assert.equal(session?.status, 'idle');
    // The listener's reads (the terminal event's too) end with the test, not after the database closed.
    await Promise.all(heard.map(({ stored }) => stored));
  });
});
