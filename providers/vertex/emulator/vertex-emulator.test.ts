import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { credentials, status as GrpcStatus } from '@grpc/grpc-js';
import { v1, v1beta1 } from '@google-cloud/aiplatform';
import { turnStreamCallOptions } from '../vertex-clients.js';
import { fromProtoStruct, toProtoStruct } from '../vertex-struct.js';
import { startVertexEmulator, type VertexEmulator } from './vertex-emulator.js';

let emulator: VertexEmulator;
let sessions: v1.SessionServiceClient;
let executions: v1.ReasoningEngineExecutionServiceClient;
let engine: string;

before(async () => {
  emulator = await startVertexEmulator();
  engine = emulator.demoTarget.reasoningEngine;
  const options = { apiEndpoint: emulator.host, port: emulator.port, sslCreds: credentials.createInsecure(), universeDomain: 'googleapis.com' };
  sessions = new v1.SessionServiceClient(options);
  executions = new v1.ReasoningEngineExecutionServiceClient(options);
});
beforeEach(() => emulator.faults.clear());
after(async () => {
  await Promise.all([sessions.close(), executions.close()]);
  await emulator.stop();
});

const codeOf = (work: Promise<unknown>) => work.then(() => undefined, (error: { code?: number }) => error.code);
const create = async (session: Record<string, unknown>, sessionId?: string) => {
  const [operation] = await sessions.createSession({ parent: engine, sessionId, session }, { timeout: 5_000 });
  return (await operation.promise())[0];
};
const query = (input: Record<string, unknown>, classMethod = 'async_stream_query') =>
  new Promise<{ events: Array<Record<string, unknown>>; code?: number }>((resolve) => {
    const events: Array<Record<string, unknown>> = [];
    const stream = executions.streamQueryReasoningEngine({ name: engine, classMethod, input: toProtoStruct(input) },  { ...turnStreamCallOptions, timeout: 5_000 });
    stream.on('data', (body: { data: Uint8Array }) => events.push(JSON.parse(Buffer.from(body.data).toString('utf8')) as Record<string, unknown>));
    stream.on('error', (error: { code?: number }) => resolve({ events, code: error.code }));
    stream.on('end', () => resolve({ events }));
  });

test('createSession is a long-running operation that completes at its first poll', async () => {
  const polls = emulator.stats.get('operations.get');
  const [operation] = await sessions.createSession({ parent: engine, sessionId: 'lro-check', session: { userId: 'u1' } });
  assert.equal(operation.done, false);
  const [session] = await operation.promise();
  assert.equal(session.name, `${engine}/sessions/lro-check`);
  assert.equal(session.userId, 'u1');
  assert.ok(session.expireTime, 'expire_time is always set');
  assert.equal(emulator.stats.get('operations.get') - polls, 1);
});

test('the service validates sessions: id pattern, required user_id, TTL of at least 24 h, known engine, unique id', async () => {
  assert.equal(await codeOf(create({ userId: 'u' }, 'Bad_ID')), GrpcStatus.INVALID_ARGUMENT);
  assert.equal(await codeOf(create({ userId: 'u' }, `a${'b'.repeat(63)}`)), GrpcStatus.INVALID_ARGUMENT);
  assert.equal(await codeOf(create({}, 'no-user')), GrpcStatus.INVALID_ARGUMENT);
  assert.equal(await codeOf(create({ userId: 'u', ttl: { seconds: 3600 } }, 'short-ttl')), GrpcStatus.INVALID_ARGUMENT);
  assert.equal(await codeOf(sessions.createSession({ parent: engine.replace(/\d+$/, '1'), session: { userId: 'u' } })), GrpcStatus.NOT_FOUND);
  await create({ userId: 'u' }, 'taken');
  assert.equal(await codeOf(create({ userId: 'u' }, 'taken')), GrpcStatus.ALREADY_EXISTS);
  assert.equal(await codeOf(sessions.getSession({ name: `${engine}/sessions/never` })), GrpcStatus.NOT_FOUND);
});

test('a turn streams ADK events as HttpBody lines and appends them to the session; partials only when run_config asks for SSE', async () => {
  await create({ userId: 'u2' }, 'turns');
  const first = await query({ user_id: 'u2', session_id: 'turns', message: 'remember 42', run_config: { streaming_mode: 'sse' } });
  assert.equal(first.code, undefined);
  assert.ok(first.events.some((event) => event.partial === true));
  const final = first.events.at(-1)!;
  assert.equal(final.partial, undefined);
  assert.ok(final.usage_metadata);
  const second = await query({ user_id: 'u2', session_id: 'turns', message: 'use a tool please' });
  assert.equal(second.events.filter((event) => event.partial === true).length, 0, 'ADK streams no partials by default');
  const parts = second.events.flatMap((event) => (event.content as { parts: Array<Record<string, unknown>> }).parts);
  assert.ok(parts.some((part) => part.function_call) && parts.some((part) => part.function_response));
  assert.match(JSON.stringify(second.events.at(-1)), /Earlier you said: \\"remember 42\\"/);

  const [events] = await sessions.listEvents({ parent: `${engine}/sessions/turns` }, { timeout: 5_000 });
  assert.deepEqual(events.map((event) => event.author), ['user', 'switchboard_demo_agent', 'user', 'switchboard_demo_agent', 'switchboard_demo_agent', 'switchboard_demo_agent']);
  const call = events.find((event) => event.content?.parts?.[0]?.functionCall);
  assert.equal(call?.content?.parts?.[0]?.functionCall?.name, 'list_files');
  assert.match(JSON.stringify(fromProtoStruct(call?.rawEvent as never)), /"id":"adk-/, 'ADK call ids survive in raw_event only');
});

test('turns are validated: registered class method, user_id, the session and its owner', async () => {
  await create({ userId: 'owner' }, 'owned');
  assert.equal((await query({ user_id: 'owner', session_id: 'owned', message: 'x' }, 'not_registered')).code, GrpcStatus.INVALID_ARGUMENT);
  assert.equal((await query({ session_id: 'owned', message: 'x' })).code, GrpcStatus.INVALID_ARGUMENT);
  assert.equal((await query({ user_id: 'intruder', session_id: 'owned', message: 'x' })).code, GrpcStatus.NOT_FOUND);
  assert.equal((await query({ user_id: 'owner', session_id: 'nope', message: 'x' })).code, GrpcStatus.NOT_FOUND);
});

test('status faults arrive as the gRPC code the client reads', async () => {
  for (const [status, code] of [[429, GrpcStatus.RESOURCE_EXHAUSTED], [503, GrpcStatus.UNAVAILABLE], [504, GrpcStatus.DEADLINE_EXCEEDED], [400, GrpcStatus.INVALID_ARGUMENT]] as const) {
    emulator.faults.add('sessions.get', { kind: 'status', status });
    assert.equal(await codeOf(sessions.getSession({ name: `${engine}/sessions/turns` })), code);
    emulator.faults.add('engine.streamQuery', { kind: 'status', status });
    assert.equal((await query({ user_id: 'u2', session_id: 'turns', message: 'x' })).code, code);
  }
});

test('sessions expire with the emulator clock, and v1beta1 is the same service', async () => {
  const beta = new v1beta1.SessionServiceClient({ apiEndpoint: emulator.host, port: emulator.port, sslCreds: credentials.createInsecure(), universeDomain: 'googleapis.com' });
  try {
    const [operation] = await beta.createSession({ parent: engine, sessionId: 'beta', session: { userId: 'u3', ttl: { seconds: 2 * 24 * 3600 } } });
    const [session] = await operation.promise();
    emulator.clock.advance(2 * 24 * 3600_000 - 60_000);
    assert.equal((await sessions.getSession({ name: session.name }))[0].userId, 'u3');
    emulator.clock.advance(60_000);
    assert.equal(await codeOf(beta.getSession({ name: session.name })), GrpcStatus.NOT_FOUND);
  } finally {
    await beta.close();
  }
});
