import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { newId } from '#libs/ids';
import { PostgresTurnBus } from '../../apps/broker/src/sessions/turns/live/turn-bus.js';
import type { SessionEventView } from '../../apps/broker/src/sessions/session.schemas.js';

const databaseUrl = process.env.DATABASE_URL;

const event = (turnId: string, seq: number): SessionEventView => ({ id: newId('evt'), sessionId: 'ses_x', turnId, seq, type: 'message.delta', at: new Date().toISOString(), data: { text: `d${seq}` } });

/** Resolves once `check` holds (polled), or fails after `ms`. */
async function eventually(check: () => boolean, what: string, ms = 5_000): Promise<void> {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * Issue 17: the live-turn bus costs a turn nobody follows nothing. Two buses
 * (two replicas) on the real PostgreSQL, and a bare listener on the turn's
 * channel that never announces: it hears nothing until a follower
 * announces the turn; then the runner sends the marker (from which seq it
 * publishes) and every later event; after the turn ends, nothing again.
 */
describe('the live-turn bus publishes only followed turns (PostgreSQL)', { skip: databaseUrl ? false : 'LISTEN/NOTIFY needs PostgreSQL; the embedded bus is in memory' }, () => {
  let runner: PostgresTurnBus;
  let follower: PostgresTurnBus;
  let spy: pg.Client;

  before(async () => {
    runner = new PostgresTurnBus(databaseUrl!);
    follower = new PostgresTurnBus(databaseUrl!);
    // Both listen from the start, as in the broker (cancel requests, follow announcements).
    runner.onCancelRequest(() => undefined);
    follower.onCancelRequest(() => undefined);
    spy = new pg.Client({ connectionString: databaseUrl });
    await spy.connect();
  });
  after(async () => {
    await runner.stop();
    await follower.stop();
    await spy.end();
  });

  test('nothing is sent until a follower announces the turn; then the marker and the events; nothing after its end', async () => {
    const turnId = newId('trn');
    const heard: string[] = [];
    spy.on('notification', (message) => {
      if (message.channel === `sb_turn_${turnId}`) heard.push(message.payload ?? '');
    });
    await spy.query(`LISTEN ${pg.escapeIdentifier(`sb_turn_${turnId}`)}`);
    // Give the runner's connection time to be up, so silence below is not a connection still opening.
    await new Promise((resolve) => setTimeout(resolve, 300));

    const end = runner.runs(turnId);
    runner.publish(event(turnId, 1));
    runner.publish(event(turnId, 2));
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.deepEqual(heard, [], 'an unfollowed turn sends no notification (it keeps its last events in memory)');

    const received: number[] = [];
    let publishingFrom: number | undefined;
    const unsubscribe = await follower.subscribe(
      turnId,
      (published) => received.push(published.seq),
      (fromSeq) => (publishingFrom = fromSeq),
    );
    await eventually(() => publishingFrom !== undefined, 'the publishing marker');
    assert.equal(publishingFrom, 1, 'events 1 and 2 were kept while nobody followed: they come first');
    runner.publish(event(turnId, 3));
    runner.publish(event(turnId, 4));
    await eventually(() => received.length === 4, 'the kept and the published events');
    assert.deepEqual(received, [1, 2, 3, 4]);

    end();
    runner.publish(event(turnId, 5));
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.deepEqual(received, [1, 2, 3, 4], 'an ended turn publishes nothing');
    assert.deepEqual(JSON.parse(heard[0]), { p: 1 }, 'the bare listener heard the marker first');
    assert.deepEqual(heard.slice(1).flatMap((payload) => (JSON.parse(payload) as SessionEventView[]).map((published) => published.seq)), [1, 2, 3, 4], 'then the events, nothing else');
    await unsubscribe();
  });

  test('an announcement that comes between the claim and the start is remembered', async () => {
    const turnId = newId('trn');
    let publishingFrom: number | undefined;
    const received: number[] = [];
    const unsubscribe = await follower.subscribe(turnId, (published) => received.push(published.seq), (fromSeq) => (publishingFrom = fromSeq));
    // The runner hears the announcement before it runs the turn.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const end = runner.runs(turnId);
    await eventually(() => publishingFrom !== undefined, 'the publishing marker');
    assert.equal(publishingFrom, 0, 'nothing published yet: no bound');
    runner.publish(event(turnId, 1));
    await eventually(() => received.length === 1, 'the first event');
    end();
    await unsubscribe();
  });
});
