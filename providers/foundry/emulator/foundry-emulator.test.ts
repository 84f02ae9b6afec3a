import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { isRestError } from '@azure/ai-projects';
import OpenAI from 'openai';
import { FoundryClients } from '../foundry-clients.js';
import { fetchThroughAgent } from '../emulator-transport.js';
import { Agent } from 'node:https';
import { startFoundryEmulator, type FoundryEmulator } from './foundry-emulator.js';

let emulator: FoundryEmulator;
let clients: FoundryClients;
const staticToken = { getToken: async () => ({ token: 'emulated', expiresOnTimestamp: Date.now() + 3600_000 }) };
const { projectEndpoint, agentName, agentVersion } = { projectEndpoint: 'https://example.services.ai.azure.com/api/projects/demo', agentName: 'switchboard-demo', agentVersion: '1' };
const project = () => clients.project(projectEndpoint, undefined);
const openai = () => clients.openai(projectEndpoint, agentName, undefined);
const versionRef = { type: 'version_ref' as const, agent_version: agentVersion };

before(async () => {
  emulator = await startFoundryEmulator();
  clients = new FoundryClients(staticToken, { url: emulator.url, caCertificate: emulator.caCertificate });
});
beforeEach(() => {
  emulator.faults.clear();
  emulator.stats.reset();
});
after(async () => {
  clients.close();
  await emulator.stop();
});

/** Streams one turn through the SDK's strict accumulator; returns the final response. */
async function turn(conversation: string, sessionId: string, input: string) {
  const params: OpenAI.Responses.ResponseCreateParamsStreaming & { agent_session_id: string } = { input, conversation, stream: true, agent_session_id: sessionId };
  const stream = openai().responses.stream(params);
  const events: string[] = [];
  stream.on('event', (event) => events.push(event.type));
  const response = await stream.finalResponse();
  return { response, events };
}

test('sessions: create 201 with the caller id, read, list with a cursor, stop keeps it, delete forgets it', async () => {
  const created = await project().agents.createSession(agentName, versionRef, { agentSessionId: 'ses_unit_1' });
  assert.equal(created.agent_session_id, 'ses_unit_1');
  assert.equal(created.status, 'active');
  assert.ok(created.expires_at instanceof Date && created.expires_at.getTime() > Date.now() + 29 * 24 * 3600_000);
  await project().agents.createSession(agentName, versionRef, { agentSessionId: 'ses_unit_2' });
  const duplicate = await project().agents.createSession(agentName, versionRef, { agentSessionId: 'ses_unit_1' }).catch((error: unknown) => error);
  assert.ok(isRestError(duplicate) && duplicate.statusCode === 409, 'a duplicate id is 409');
  assert.equal(duplicate.code, 'session_already_exists');

  const ids: string[] = [];
  for await (const session of project().agents.listSessions(agentName, { limit: 1, order: 'asc' })) ids.push(session.agent_session_id);
  assert.deepEqual(ids.filter((id) => id.startsWith('ses_unit_')), ['ses_unit_1', 'ses_unit_2']);
  assert.ok(emulator.stats.get('sessions.list') >= 2, 'the SDK followed the cursor');

  await project().agents.stopSession(agentName, 'ses_unit_1');
  const stopped = await project().agents.getSession(agentName, 'ses_unit_1');
  assert.equal(stopped.status, 'idle');
  assert.ok(stopped.stopped_at instanceof Date);
  await project().agents.deleteSession(agentName, 'ses_unit_1');
  await project().agents.deleteSession(agentName, 'ses_unit_1');
  const gone = await project().agents.getSession(agentName, 'ses_unit_1').catch((error: unknown) => error);
  assert.ok(isRestError(gone) && gone.statusCode === 404);
});

test('a streamed turn satisfies responses.stream(), numbers every event and remembers the conversation', async () => {
  await project().agents.createSession(agentName, versionRef, { agentSessionId: 'ses_unit_turns' });
  const conversation = await openai().conversations.create({ metadata: { switchboard_session: 'ses_unit_turns' } });
  const first = await turn(conversation.id, 'ses_unit_turns', 'My order number is 4471');
  assert.equal(first.response.status, 'completed');
  assert.equal(first.events[0], 'response.created');
  assert.equal(first.events.at(-1), 'response.completed');
  assert.match(first.response.output_text, /You said: "My order number is 4471"/);
  const second = await turn(conversation.id, 'ses_unit_turns', 'What was it?');
  assert.match(second.response.output_text, /Earlier you said: "My order number is 4471"/);
  assert.equal((second.response as unknown as { agent_session_id: string }).agent_session_id, 'ses_unit_turns');
  assert.ok(second.response.usage!.input_tokens > first.response.usage!.input_tokens, 'the context grows');
  assert.equal(emulator.stats.get('turns.run'), 2);
  const items = await openai().conversations.items.list(conversation.id, { order: 'asc' });
  assert.deepEqual(
    items.data.map((item) => `${item.type}:${(item as { role?: string }).role}`),
    ['message:user', 'message:assistant', 'message:user', 'message:assistant'],
  );

  const params: OpenAI.Responses.ResponseCreateParamsStreaming & { agent_session_id: string } = {
    input: 'raw frames',
    conversation: conversation.id,
    stream: true,
    agent_session_id: 'ses_unit_turns',
  };
  const raw = await openai().responses.create(params, { maxRetries: 0 });
  const sequence: number[] = [];
  for await (const event of raw) sequence.push(event.sequence_number);
  assert.deepEqual(sequence, sequence.map((_, index) => index));
});

test('a message with "tool" streams a function call and its output before the reply', async () => {
  await project().agents.createSession(agentName, versionRef, { agentSessionId: 'ses_unit_tool' });
  const conversation = await openai().conversations.create({});
  const { response } = await turn(conversation.id, 'ses_unit_tool', 'use a tool please');
  assert.deepEqual(response.output.map((item) => item.type), ['function_call', 'function_call_output', 'message']);
  const call = response.output[0] as OpenAI.Responses.ResponseFunctionToolCall;
  assert.equal(call.name, 'list_files');
  assert.deepEqual(JSON.parse(call.arguments), { path: '/files' });
  assert.equal((response.output[1] as unknown as { call_id: string }).call_id, call.call_id);
});

test('credentials and api-version are checked, with Azure error bodies', async () => {
  const fetch = fetchThroughAgent(new Agent({ ca: emulator.caCertificate }));
  const sessions = `${emulator.url}/api/projects/demo/agents/${agentName}/endpoint/sessions`;
  const anonymous = await fetch(`${sessions}?api-version=v1`);
  assert.equal(anonymous.status, 401);
  assert.equal(((await anonymous.json()) as { error: { code: string } }).error.code, 'unauthorized');
  const headers = { authorization: 'Bearer x' };
  const missing = await fetch(sessions, { headers });
  assert.equal(missing.status, 400);
  assert.equal(((await missing.json()) as { error: { code: string } }).error.code, 'missing_api_version');
  const wrongVersion = await openai().conversations.create({}, { query: { 'api-version': '2025-05-01' } }).catch((error: unknown) => error);
  assert.ok(wrongVersion instanceof OpenAI.BadRequestError);
  assert.equal(wrongVersion.code, 'unsupported_api_version');
});

test('billing timestamps: created_at and last_accessed_at always, stopped_at once the sandbox idled out or stopped, kept after it resumes', async () => {
  const created = await project().agents.createSession(agentName, versionRef, { agentSessionId: 'ses_unit_billing' });
  assert.ok(created.created_at instanceof Date && created.last_accessed_at instanceof Date);
  assert.equal(created.stopped_at, undefined, 'never idle yet');
  const conversation = await openai().conversations.create({});
  await turn(conversation.id, 'ses_unit_billing', 'hello');
  const lastAccess = (await project().agents.getSession(agentName, 'ses_unit_billing')).last_accessed_at;
  emulator.clock.advance(901_000);
  const idled = await project().agents.getSession(agentName, 'ses_unit_billing');
  assert.equal(idled.status, 'idle');
  assert.equal(idled.stopped_at?.getTime(), lastAccess.getTime() + 900_000, 'idle from the end of the idle timeout');
  await turn(conversation.id, 'ses_unit_billing', 'back again');
  const resumed = await project().agents.getSession(agentName, 'ses_unit_billing');
  assert.equal(resumed.status, 'active');
  assert.equal(resumed.stopped_at?.getTime(), idled.stopped_at?.getTime(), 'the last time it went idle stays');
});

test('a completed response may carry no usage (fault responses.usage: omit)', async () => {
  await project().agents.createSession(agentName, versionRef, { agentSessionId: 'ses_unit_usage' });
  const conversation = await openai().conversations.create({});
  emulator.faults.add('responses.usage', { kind: 'omit' });
  const unreported = await turn(conversation.id, 'ses_unit_usage', 'hello');
  assert.equal(unreported.response.status, 'completed');
  assert.equal(unreported.response.usage, null);
  const reported = await turn(conversation.id, 'ses_unit_usage', 'hello again');
  assert.ok(reported.response.usage && reported.response.usage.output_tokens > 0);
});
