import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import Anthropic from '@anthropic-ai/sdk';
import { startClaudeEmulator, type ClaudeEmulator } from './claude-emulator.js';
import { clientFor, createSession, only, rawFetch, readTurn, runTurn, userMessage, type StreamEvent } from './test-harness.js';

let emulator: ClaudeEmulator;
let client: Anthropic;

before(async () => {
  emulator = await startClaudeEmulator();
  client = clientFor(emulator);
});
beforeEach(() => {
  emulator.faults.clear();
  emulator.stats.reset();
});
after(() => emulator.stop());

/** Polls until the session reaches `status` (the server side of a turn the client may not see). */
async function waitForStatus(sessionId: string, status: string): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) {
    if ((await client.beta.sessions.retrieve(sessionId)).status === status) return;
    await sleep(10);
  }
  assert.fail(`session ${sessionId} never became ${status}`);
}

test('a 429 on send is retried by the SDK and the turn runs once', async () => {
  const sessionId = await createSession(client);
  emulator.faults.add('events.send', { kind: 'status', status: 429, headers: { 'retry-after-ms': '10' } });
  const retrying = clientFor(emulator, { maxRetries: 1 });
  const stream = await retrying.beta.sessions.events.stream(sessionId);
  await retrying.beta.sessions.events.send(sessionId, { events: [userMessage('once only')] });
  const events = await readTurn(stream);
  assert.equal(events.at(-1)?.type, 'session.status_idle');
  assert.equal(emulator.stats.get('events.send'), 2);
  assert.equal(emulator.stats.get('turns.run'), 1);
});

test('a 429 fault carries retry-after and the API error body', async () => {
  const sessionId = await createSession(client);
  emulator.faults.add('events.send', { kind: 'status', status: 429 });
  const error = await client.beta.sessions.events.send(sessionId, { events: [userMessage('x')] }).catch((caught: unknown) => caught);
  assert.ok(error instanceof Anthropic.RateLimitError);
  assert.equal(error.headers?.get('retry-after'), '1');
  assert.equal(error.type, 'rate_limit_error');
  assert.equal(emulator.stats.get('turns.run'), 0);
});

test('a truncated stream stops mid-turn without status_idle, while the turn still finishes upstream', async () => {
  const sessionId = await createSession(client);
  emulator.faults.add('events.stream', { kind: 'truncate', afterEvents: 3 });
  const stream = await client.beta.sessions.events.stream(sessionId);
  await client.beta.sessions.events.send(sessionId, { events: [userMessage('cut me off')] });
  const seen: StreamEvent[] = [];
  const failure = await (async () => {
    for await (const event of stream) seen.push(event);
  })().catch((caught: unknown) => caught);
  // The socket dies without the chunked terminator, so fetch's body (and the SDK iterator) throws.
  assert.ok(failure instanceof TypeError, `expected the iterator to throw, got ${String(failure)}`);
  assert.deepEqual(
    seen.map((event) => event.type),
    ['user.message', 'session.status_running', 'span.model_request_start'],
  );
  await waitForStatus(sessionId, 'idle');
  const log = await client.beta.sessions.events.list(sessionId);
  assert.equal(log.data.at(-1)?.type, 'session.status_idle', 'the log lets a client catch up');
});

test('a delayed stream holds the turn’s first event back', async () => {
  const sessionId = await createSession(client);
  emulator.faults.add('events.stream', { kind: 'delay', ms: 150 });
  // Measured from before the stream opens (the delay starts there), so load can only lengthen it:
  // a lower bound, which a broken delay fails and a slow machine cannot.
  const openedAt = performance.now();
  const stream = await client.beta.sessions.events.stream(sessionId);
  await client.beta.sessions.events.send(sessionId, { events: [userMessage('slowly')] });
  let firstAfterMs: number | undefined;
  const events: StreamEvent[] = [];
  for await (const event of stream) {
    firstAfterMs ??= performance.now() - openedAt;
    events.push(event);
    if (event.type === 'session.status_idle') break;
  }
  assert.ok(firstAfterMs !== undefined && firstAfterMs >= 140, `first event after ${firstAfterMs} ms`);
  assert.equal(events[0].type, 'user.message');
  assert.equal(events.length, 7, 'nothing held back is lost');
});

test('a stalled stream delivers nothing until the client gives up', async () => {
  const sessionId = await createSession(client);
  emulator.faults.add('events.stream', { kind: 'stall' });
  const stream = await client.beta.sessions.events.stream(sessionId);
  await client.beta.sessions.events.send(sessionId, { events: [userMessage('hello?')] });
  const iterator = stream[Symbol.asyncIterator]();
  const next = iterator.next();
  await waitForStatus(sessionId, 'idle');
  const raced = await Promise.race([next.then(() => 'event'), sleep(100).then(() => 'nothing')]);
  assert.equal(raced, 'nothing');
  stream.controller.abort();
  await next.catch(() => undefined);
});

test('a stalled turn keeps the session running until an interrupt ends it', async () => {
  const sessionId = await createSession(client);
  emulator.faults.add('turns.run', { kind: 'stall' });
  const stream = await client.beta.sessions.events.stream(sessionId);
  await client.beta.sessions.events.send(sessionId, { events: [userMessage('think forever')] });
  await sleep(50);
  assert.equal((await client.beta.sessions.retrieve(sessionId)).status, 'running');
  await client.beta.sessions.events.send(sessionId, { events: [{ type: 'user.interrupt' }] });
  const events = await readTurn(stream);
  assert.deepEqual(
    events.map((event) => event.type),
    ['user.message', 'session.status_running', 'user.interrupt', 'session.usage', 'session.status_idle'],
  );
  assert.equal((await client.beta.sessions.retrieve(sessionId)).status, 'idle');
  assert.equal(emulator.stats.get('turns.run'), 1);
});

test('held turns stream their first delta, wait until the plan is released, then run to their end', async () => {
  const sessions = await Promise.all([createSession(client), createSession(client)]);
  emulator.faults.add('turns.run', { kind: 'hold', times: 2 });
  const streams = await Promise.all(sessions.map((sessionId) => client.beta.sessions.events.stream(sessionId, { event_deltas: ['agent.message'] })));
  await Promise.all(sessions.map((sessionId) => client.beta.sessions.events.send(sessionId, { events: [userMessage('wait for me')] })));
  for (let waited = 0; emulator.faults.holding() < 2 && waited < 2000; waited += 10) await sleep(10);
  assert.equal(emulator.faults.holding(), 2);
  assert.equal((await client.beta.sessions.retrieve(sessions[0])).status, 'running', 'held, not finished');
  assert.equal(emulator.faults.release(), 2);
  for (const stream of streams) {
    const types = (await readTurn(stream)).map((event) => event.type);
    assert.ok(types.includes('session.status_running'));
    assert.ok(types.includes('agent.message'), `the held turn ran to its end: ${types.join(', ')}`);
    assert.equal(types.at(-1), 'session.status_idle');
  }
  assert.equal(emulator.faults.holding(), 0);
});

test('a status fault on the turn fails it with session.error and retries_exhausted', async () => {
  const sessionId = await createSession(client);
  emulator.faults.add('turns.run', { kind: 'status', status: 529 });
  const events = await runTurn(client, sessionId, 'overloaded?');
  const [error] = only(events, 'session.error');
  assert.equal(error.error.type, 'model_overloaded_error');
  assert.deepEqual(error.error.retry_status, { type: 'exhausted' });
  assert.deepEqual(only(events, 'session.status_idle')[0].stop_reason, { type: 'retries_exhausted' });
  assert.equal(only(events, 'agent.message').length, 0);
});

test('the SDK retries a 529 on the stream request before any body', async () => {
  const sessionId = await createSession(client);
  emulator.faults.add('events.stream', { kind: 'status', status: 529, headers: { 'retry-after-ms': '10' } });
  const events = await runTurn(clientFor(emulator, { maxRetries: 1 }), sessionId, 'after a retry');
  assert.equal(events.at(-1)?.type, 'session.status_idle');
  assert.equal(emulator.stats.get('events.stream'), 2);
});

test('stall and truncate on a plain call look like a timeout and a dropped connection', async () => {
  const sessionId = await createSession(client);
  emulator.faults.add('sessions.retrieve', { kind: 'stall' });
  await assert.rejects(clientFor(emulator, { timeout: 100 }).beta.sessions.retrieve(sessionId), Anthropic.APIConnectionTimeoutError);
  emulator.faults.add('sessions.retrieve', { kind: 'truncate', afterEvents: 0 });
  await assert.rejects(client.beta.sessions.retrieve(sessionId), Anthropic.APIConnectionError);
  emulator.faults.add('sessions.create', { kind: 'status', status: 500 });
  const error = await createSession(client).catch((caught: unknown) => caught);
  assert.ok(error instanceof Anthropic.InternalServerError);
  assert.equal(error.type, 'api_error');
  assert.equal((await client.beta.sessions.retrieve(sessionId)).id, sessionId, 'faults are used up');
});

test('terminateSession ends streams with a terminal error and later sends conflict', async () => {
  const sessionId = await createSession(client);
  const stream = await client.beta.sessions.events.stream(sessionId);
  emulator.terminateSession(sessionId, 'container lost');
  const seen: StreamEvent[] = [];
  for await (const event of stream) seen.push(event);
  assert.deepEqual(
    seen.map((event) => event.type),
    ['session.error', 'session.status_terminated'],
  );
  assert.deepEqual(only(seen, 'session.error')[0].error.retry_status, { type: 'terminal' });
  assert.equal((await client.beta.sessions.retrieve(sessionId)).status, 'terminated');
  await assert.rejects(client.beta.sessions.events.send(sessionId, { events: [userMessage('still there?')] }), Anthropic.ConflictError);
});

test('expireSession silently ends streams and the session is gone', async () => {
  const sessionId = await createSession(client);
  const stream = await client.beta.sessions.events.stream(sessionId);
  emulator.expireSession(sessionId);
  const seen: string[] = [];
  for await (const event of stream) seen.push(event.type);
  assert.deepEqual(seen, []);
  await assert.rejects(client.beta.sessions.retrieve(sessionId), Anthropic.NotFoundError);
});

test('time advanced during a running turn counts as active time', async () => {
  const sessionId = await createSession(client);
  emulator.faults.add('turns.run', { kind: 'delay', ms: 100 });
  const stream = await client.beta.sessions.events.stream(sessionId);
  await client.beta.sessions.events.send(sessionId, { events: [userMessage('take your time')] });
  await sleep(20);
  emulator.clock.advance(60_000);
  await readTurn(stream);
  const session = await client.beta.sessions.retrieve(sessionId);
  assert.ok(session.usage.active_seconds! > 60 && session.usage.active_seconds! < 62, `active_seconds ${session.usage.active_seconds}`);
  assert.ok(session.stats.duration_seconds! > 60);
});

test('the control plane injects faults, advances the clock, reports and resets stats over HTTP', async () => {
  const sessionId = await createSession(client);
  const control = (method: string, path: string, body?: unknown) =>
    fetch(`${emulator.url}/_emulator/${path}`, { method, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });

  const added = await control('POST', 'faults', { op: 'events.send', fault: { kind: 'status', status: 503 } });
  assert.equal(added.status, 201);
  const send = await rawFetch(emulator, `/v1/sessions/${sessionId}/events`, { method: 'POST', body: JSON.stringify({ events: [userMessage('x')] }) });
  assert.equal(send.status, 503);
  assert.equal(((await send.json()) as { error: { type: string } }).error.type, 'api_error');

  const stats = (await (await control('GET', 'stats')).json()) as Record<string, number>;
  assert.equal(stats['events.send'], 1);
  assert.equal(stats['sessions.create'], 1);
  assert.equal(stats['turns.run'], undefined);

  const before = emulator.clock.now();
  assert.equal((await control('POST', 'clock/advance', { ms: 3_600_000 })).status, 200);
  assert.ok(emulator.clock.now() >= before + 3_600_000);
  assert.ok((await client.beta.sessions.retrieve(sessionId)).stats.duration_seconds! >= 3600);

  emulator.faults.add('events.send', { kind: 'stall' });
  assert.equal((await control('POST', 'reset')).status, 204);
  assert.deepEqual(emulator.stats.snapshot(), {});
  assert.equal(emulator.faults.pending('events.send'), 0);
});
