import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import Anthropic from '@anthropic-ai/sdk';
import { pino } from 'pino';
import { startClaudeEmulator, type ClaudeEmulator } from './claude-emulator.js';
import { clientFor, createSession, only, rawFetch, readTurn, replyText, runTurn, userMessage } from './test-harness.js';

let emulator: ClaudeEmulator;
let client: Anthropic;

before(async () => {
  // A real pino logger, silenced: proves the broker's logger fits the emulator's logger slot.
  emulator = await startClaudeEmulator({ logger: pino({ level: 'silent' }) });
  client = clientFor(emulator);
});
after(() => emulator.stop());

test('a turn streams from status_running to status_idle, with deltas that add up to the message', async () => {
  const sessionId = await createSession(client);
  assert.match(sessionId, /^sesn_011C\w{20}$/);
  const stream = await client.beta.sessions.events.stream(sessionId, { event_deltas: ['agent.message'] });
  const sentAt = Date.now();
  const sent = await client.beta.sessions.events.send(sessionId, { events: [userMessage('hello emulator')] });
  assert.match(sent.data?.[0]?.id ?? '', /^sevt_/);
  assert.equal(sent.data?.[0]?.processed_at, null);
  assert.match(sent._request_id ?? '', /^req_/);

  const events = await readTurn(stream);
  const wallSeconds = (Date.now() - sentAt) / 1000;
  assert.deepEqual(
    events.map((event) => event.type),
    [
      'user.message',
      'session.status_running',
      'span.model_request_start',
      'event_start',
      'event_delta',
      'event_delta',
      'event_delta',
      'agent.message',
      'span.model_request_end',
      'session.usage',
      'session.status_idle',
    ],
  );
  const text = replyText(events);
  assert.equal(text, 'Turn 1. You said: "hello emulator".');
  const deltas = only(events, 'event_delta').map((event) => (event.delta.content.type === 'text' ? event.delta.content.text : ''));
  assert.equal(deltas.join(''), text);
  assert.equal(only(events, 'event_start')[0].event.id, only(events, 'agent.message')[0].id);

  const [spanEnd] = only(events, 'span.model_request_end');
  assert.equal(spanEnd.model_request_start_id, only(events, 'span.model_request_start')[0].id);
  // The deterministic agent's 44-token prompt: the first request of a session writes it to the cache, but for the 4
  // tokens after the breakpoint; nothing was cached before it to read.
  assert.deepEqual(spanEnd.model_usage, { input_tokens: 4, output_tokens: 12, cache_creation_input_tokens: 40, cache_read_input_tokens: 0 });
  assert.deepEqual(only(events, 'session.status_idle')[0].stop_reason, { type: 'end_turn' });

  const session = await client.beta.sessions.retrieve(sessionId);
  assert.equal(session.status, 'idle');
  assert.equal(session.usage.input_tokens, 4);
  assert.equal(session.usage.output_tokens, 12);
  assert.equal(session.usage.cache_read_input_tokens, 0);
  assert.deepEqual(session.usage.cache_creation, { ephemeral_5m_input_tokens: 40, ephemeral_1h_input_tokens: 0 });
  // One model call of 12 output tokens: 400 ms + 12 × 10 ms of emulated time, plus the real time the turn took
  // (bounded by what this test measured around it, so a loaded machine cannot fail it).
  const active = session.usage.active_seconds!;
  assert.ok(active >= 0.52 && active <= 0.52 + wallSeconds + 0.01, `active_seconds ${active}, wall ${wallSeconds}`);
  assert.ok(session.stats.duration_seconds! >= session.stats.active_seconds!);
  assert.deepEqual(only(events, 'session.usage')[0].usage.input_tokens, 4);
});

test('a second turn remembers the first, and usage accumulates', async () => {
  const sessionId = await createSession(client);
  const first = await runTurn(client, sessionId, 'my name is Ada');
  const second = await runTurn(client, sessionId, 'what is my name');
  assert.equal(only(first, 'event_delta').length, 0, 'no deltas unless asked for');
  assert.equal(replyText(second), 'Turn 2. You said: "what is my name". Earlier you said: "my name is Ada".');

  const spans = [...first, ...second].flatMap((event) => (event.type === 'span.model_request_end' ? [event.model_usage] : []));
  const prompt = (usage: (typeof spans)[number]) => usage.input_tokens + usage.cache_read_input_tokens + usage.cache_creation_input_tokens;
  assert.ok(prompt(spans[1]) > prompt(spans[0]), 'the second call reads a longer context');
  // The second turn reads what the first wrote from the cache and writes only what is new; input_tokens is the uncached rest.
  assert.equal(spans[1].cache_read_input_tokens, spans[0].cache_creation_input_tokens);
  assert.equal(spans[1].cache_creation_input_tokens, prompt(spans[1]) - prompt(spans[0]));
  assert.equal(spans[1].input_tokens, 4);

  // session.usage is a periodic snapshot, not one per turn: the second turn ends without one. The session resource has the sums.
  assert.equal(only(first, 'session.usage').length, 1);
  assert.equal(only(second, 'session.usage').length, 0);
  const { usage } = await client.beta.sessions.retrieve(sessionId);
  const sum = (field: 'input_tokens' | 'output_tokens' | 'cache_read_input_tokens' | 'cache_creation_input_tokens') => spans.reduce((total, span) => total + span[field], 0);
  assert.equal(usage.input_tokens, sum('input_tokens'));
  assert.equal(usage.output_tokens, sum('output_tokens'));
  assert.equal(usage.cache_read_input_tokens, sum('cache_read_input_tokens'));
  assert.equal(usage.cache_creation?.ephemeral_5m_input_tokens, sum('cache_creation_input_tokens'));
});

test('a cache entry idle for more than five minutes has expired: the next turn writes the prompt again', async () => {
  const sessionId = await createSession(client);
  const [first] = only(await runTurn(client, sessionId, 'remember this'), 'span.model_request_end');
  emulator.clock.advance(5 * 60_000 + 1);
  const [late] = only(await runTurn(client, sessionId, 'still there?'), 'span.model_request_end');
  assert.ok(first.model_usage.cache_creation_input_tokens > 0);
  assert.equal(late.model_usage.cache_read_input_tokens, 0);
  assert.ok(late.model_usage.cache_creation_input_tokens > first.model_usage.cache_creation_input_tokens, 'the whole (longer) prefix is written again');
});

test('a message that mentions a tool runs bash before replying', async () => {
  const sessionId = await createSession(client);
  const events = await runTurn(client, sessionId, 'use a tool please');
  const types = events.map((event) => event.type);
  const [toolUse] = only(events, 'agent.tool_use');
  const [toolResult] = only(events, 'agent.tool_result');
  assert.equal(toolUse.name, 'bash');
  assert.deepEqual(toolUse.input, { command: "echo 'use a tool please'" });
  assert.equal(toolResult.tool_use_id, toolUse.id);
  assert.deepEqual(toolResult.content, [{ type: 'text', text: 'use a tool please' }]);
  assert.ok(types.indexOf('agent.tool_use') < types.indexOf('agent.tool_result'));
  assert.ok(types.indexOf('agent.tool_result') < types.indexOf('agent.message'));
  assert.equal(only(events, 'span.model_request_start').length, 2);
  // The shared deterministic agent (libs/emulator-kit) words every tool's sentence alike: 'returned', not bash's own 'printed'.
  assert.match(replyText(events), /The bash tool returned: use a tool please$/);
});

test('events.list pages through the persisted log, in either order and by type', async () => {
  const sessionId = await createSession(client);
  const streamed = await runTurn(client, sessionId, 'list me', true);
  const persisted = streamed.filter((event) => event.type !== 'event_start' && event.type !== 'event_delta').map((event) => event.id);

  const firstPage = await client.beta.sessions.events.list(sessionId, { limit: 3 });
  assert.equal(firstPage.data.length, 3);
  assert.ok(firstPage.next_page);
  const listed: string[] = [];
  for await (const event of client.beta.sessions.events.list(sessionId, { limit: 3 })) listed.push(event.id);
  assert.deepEqual(listed, persisted);

  const newestFirst: string[] = [];
  for await (const event of client.beta.sessions.events.list(sessionId, { limit: 2, order: 'desc' })) newestFirst.push(event.id);
  assert.deepEqual(newestFirst, [...persisted].reverse());

  const messages = await client.beta.sessions.events.list(sessionId, { types: ['agent.message', 'user.message'] });
  assert.deepEqual(
    messages.data.map((event) => event.type),
    ['user.message', 'agent.message'],
  );
  assert.equal(messages.next_page, null);
});

test('sessions.list filters and pages; update patches metadata', async () => {
  const sessionId = await createSession(client, { keep: 'yes', drop: 'me' });
  const updated = await client.beta.sessions.update(sessionId, { title: 'renamed', metadata: { drop: null, added: '1' } });
  assert.equal(updated.title, 'renamed');
  assert.deepEqual(updated.metadata, { keep: 'yes', added: '1' });

  const idle = await client.beta.sessions.list({ statuses: ['idle'], limit: 1 });
  assert.equal(idle.data.length, 1);
  assert.equal(idle.data[0].id, sessionId, 'newest first');
  assert.ok(idle.next_page);
  assert.equal((await client.beta.sessions.list({ statuses: ['running'] })).data.length, 0);
});

test('an archived session is terminated and read-only: a send is a 409', async () => {
  const sessionId = await createSession(client);
  const archived = await client.beta.sessions.archive(sessionId);
  assert.equal(archived.status, 'terminated');
  assert.ok(archived.archived_at);
  const sendsBefore = emulator.stats.get('events.send');
  const error = await client.beta.sessions.events.send(sessionId, { events: [userMessage('hello?')] }).catch((caught: unknown) => caught);
  assert.ok(error instanceof Anthropic.ConflictError);
  assert.equal(error.status, 409);
  assert.equal(error.type, 'invalid_request_error');
  assert.match(error.requestID ?? '', /^req_/);
  assert.equal(emulator.stats.get('events.send'), sendsBefore + 1);
  const hidden = await client.beta.sessions.list({ limit: 100 });
  assert.ok(!hidden.data.some((session) => session.id === sessionId), 'archived sessions are left out by default');
  const all = await client.beta.sessions.list({ limit: 100, include_archived: true });
  assert.ok(all.data.some((session) => session.id === sessionId));
});

test('delete tells open streams, ends them, and forgets the session', async () => {
  const sessionId = await createSession(client);
  const stream = await client.beta.sessions.events.stream(sessionId);
  assert.deepEqual(await client.beta.sessions.delete(sessionId), { id: sessionId, type: 'session_deleted' });
  const seen: string[] = [];
  for await (const event of stream) seen.push(event.type);
  assert.deepEqual(seen, ['session.deleted']);
  await assert.rejects(client.beta.sessions.retrieve(sessionId), Anthropic.NotFoundError);
});

test('an unknown session is a 404 not_found_error', async () => {
  const error = await client.beta.sessions.retrieve('sesn_011Cmissing').catch((caught: unknown) => caught);
  assert.ok(error instanceof Anthropic.NotFoundError);
  assert.equal(error.type, 'not_found_error');
  assert.deepEqual(error.error, { type: 'error', error: { type: 'not_found_error', message: 'session sesn_011Cmissing not found' }, request_id: error.requestID });
});

test('an unknown environment carries the environment_not_found code', async () => {
  const agent = await client.beta.agents.create({ name: 'a', model: 'claude-sonnet-4-6' });
  const error = await client.beta.sessions.create({ agent: agent.id, environment_id: 'env_011Cnope' }).catch((caught: unknown) => caught);
  assert.ok(error instanceof Anthropic.NotFoundError);
  assert.equal(error.errorCode, 'environment_not_found');
});

test('a call without credentials is a 401 authentication_error', async () => {
  const anonymous = clientFor(emulator, { apiKey: null, defaultHeaders: { Authorization: null } });
  const error = await anonymous.beta.sessions.retrieve('sesn_011Cany').catch((caught: unknown) => caught);
  assert.ok(error instanceof Anthropic.AuthenticationError, String(error));
  assert.equal(error.type, 'authentication_error');
});

test('x-api-key works as well as Bearer, and the beta header is required', async () => {
  const withKey = await rawFetch(emulator, '/v1/environments', { method: 'POST', body: JSON.stringify({ name: 'raw' }) });
  assert.equal(withKey.status, 200);
  assert.match(withKey.headers.get('request-id') ?? '', /^req_011C/);
  assert.match(((await withKey.json()) as { id: string }).id, /^env_/);

  const withoutBeta = await rawFetch(emulator, '/v1/sessions', { headers: { 'anthropic-beta': 'something-else' } });
  assert.equal(withoutBeta.status, 404);
  const body = (await withoutBeta.json()) as { type: string; error: { type: string }; request_id: string };
  assert.equal(body.type, 'error');
  assert.equal(body.error.type, 'not_found_error');
  assert.equal(body.request_id, withoutBeta.headers.get('request-id'));
});

test('a malformed send is a 400 invalid_request_error', async () => {
  const sessionId = await createSession(client);
  const response = await rawFetch(emulator, `/v1/sessions/${sessionId}/events`, { method: 'POST', body: JSON.stringify({ events: [] }) });
  assert.equal(response.status, 400);
  const body = (await response.json()) as { error: { type: string; message: string } };
  assert.equal(body.error.type, 'invalid_request_error');
  assert.match(body.error.message, /^events:/);
});

test('messages queue up: one send with two messages runs two turns in order', async () => {
  const sessionId = await createSession(client);
  const stream = await client.beta.sessions.events.stream(sessionId);
  await client.beta.sessions.events.send(sessionId, { events: [userMessage('one'), userMessage('two')] });
  const events: string[] = [];
  let idles = 0;
  for await (const event of stream) {
    if (event.type === 'agent.message') events.push(event.content.map((block) => (block.type === 'text' ? block.text : '')).join(''));
    if (event.type === 'session.status_idle' && ++idles === 2) break;
  }
  assert.deepEqual(events, ['Turn 1. You said: "one".', 'Turn 2. You said: "two". Earlier you said: "one".']);
});

test('initial_events start the first turn at creation', async () => {
  const environment = await client.beta.environments.create({ name: 'e' });
  const agent = await client.beta.agents.create({ name: 'a', model: { id: 'claude-sonnet-4-6' } });
  const session = await client.beta.sessions.create({ agent: agent.id, environment_id: environment.id, initial_events: [userMessage('at once')] });
  assert.equal(session.status, 'running');
  for (let attempt = 0; attempt < 50 && (await client.beta.sessions.retrieve(session.id)).status !== 'idle'; attempt++) await sleep(10);
  const log = await client.beta.sessions.events.list(session.id, { types: ['agent.message'] });
  assert.equal(log.data.length, 1);
});

test('a session freezes its agent, with per-session overrides laid over it', async () => {
  const environment = await client.beta.environments.create({ name: 'e' });
  const agent = await client.beta.agents.create({ name: 'base', model: 'claude-sonnet-4-6', system: 'be brief' });
  assert.deepEqual((await client.beta.agents.retrieve(agent.id)).model, { id: 'claude-sonnet-4-6' });
  const session = await client.beta.sessions.create({
    agent: { type: 'agent_with_overrides', id: agent.id, model: 'claude-opus-4-1', system: 'be thorough' },
    environment_id: environment.id,
  });
  assert.equal(session.agent.id, agent.id);
  assert.equal(session.agent.name, 'base');
  assert.equal(session.agent.system, 'be thorough');
  assert.deepEqual(session.agent.model, { id: 'claude-opus-4-1' });
});

test('a tool that asks: the turn idles on requires_action naming the tool use; the confirmation runs the rest of the turn', async () => {
  const sessionId = await createSession(client);
  const stream = (await client.beta.sessions.events.stream(sessionId))[Symbol.asyncIterator]();
  // One stream for both halves of the turn: read up to each idle, whatever its stop reason.
  const untilIdle = async () => {
    const events: Awaited<ReturnType<typeof readTurn>> = [];
    for (let next = await stream.next(); !next.done; next = await stream.next()) {
      events.push(next.value);
      if (next.value.type === 'session.status_idle') break;
    }
    return events;
  };
  await client.beta.sessions.events.send(sessionId, { events: [userMessage('use a tool, with approval')] });
  const asked = await untilIdle();
  const [use] = only(asked, 'agent.tool_use');
  assert.equal(use.evaluated_permission, 'ask');
  assert.deepEqual(only(asked, 'session.status_idle')[0].stop_reason, { type: 'requires_action', event_ids: [use.id] });
  assert.equal(only(asked, 'agent.tool_result').length, 0, 'the tool waits');
  assert.equal((await client.beta.sessions.retrieve(sessionId)).status, 'idle');

  // deny_message is "only allowed when result is 'deny'".
  const refused = await rawFetch(emulator, `/v1/sessions/${sessionId}/events`, {
    method: 'POST',
    body: JSON.stringify({ events: [{ type: 'user.tool_confirmation', tool_use_id: use.id, result: 'allow', deny_message: 'no' }] }),
  });
  assert.equal(refused.status, 400);

  await client.beta.sessions.events.send(sessionId, { events: [{ type: 'user.tool_confirmation', tool_use_id: use.id, result: 'deny', deny_message: 'not today' }] });
  const rest = await untilIdle();
  await stream.return?.();
  const [result] = only(rest, 'agent.tool_result');
  assert.equal(result.tool_use_id, use.id);
  assert.equal(result.is_error, true);
  assert.match(replyText(rest), /The bash tool was not run: not today/);
  assert.deepEqual(only(rest, 'session.status_idle')[0].stop_reason, { type: 'end_turn' });
});
