import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { RuntimeError, type RuntimeEvent, type SessionBinding, type SessionHandle } from '#libs/runtime-spec';
import { parseTargetWith } from '#libs/provider-kit';
import { FoundryAdapter } from './foundry-adapter.js';
import { foundryTargetSchema } from './foundry-target.js';
import { estimateCompute, parseSandboxSize } from './foundry-compute.js';
import { startFoundryEmulator, type FoundryEmulator } from './emulator/index.js';

let emulator: FoundryEmulator;
let adapter: FoundryAdapter;
const credential = { getToken: async () => ({ token: 'unit', expiresOnTimestamp: Date.now() + 3600_000 }) };
let counter = 0;

before(async () => {
  emulator = await startFoundryEmulator();
  adapter = new FoundryAdapter({ mode: 'emulated', credential, emulator: { url: emulator.url, caCertificate: emulator.caCertificate }, callTimeoutMs: 5000 });
});
beforeEach(() => {
  emulator.faults.clear();
  emulator.stats.reset();
});
after(async () => {
  adapter.close();
  await emulator.stop();
});

function binding(target: unknown = emulator.demoTarget): SessionBinding {
  counter += 1;
  return {
    sessionId: `ses_adapter${counter}`,
    tenantId: 'ten_1',
    userId: 'u-1',
    agent: { id: 'agt_1', name: 'a', instructions: null },
    target,
    metadata: {},
    idleTimeoutSeconds: 900,
    maxLifetimeSeconds: 3600,
  };
}

async function open(target?: unknown): Promise<SessionHandle> {
  const bound = binding(target);
  const opened = await adapter.openSession(bound, AbortSignal.timeout(5000));
  return { binding: bound, ...opened };
}

async function collect(handle: SessionHandle, text: string): Promise<RuntimeEvent[]> {
  const events: RuntimeEvent[] = [];
  for await (const event of adapter.runTurn({ session: handle, turnId: 'trn_1', input: [{ type: 'text', text }], signal: AbortSignal.timeout(5000) })) events.push(event);
  return events;
}

test('targets: https project endpoints, agent names, concrete versions', () => {
  assert.equal(parseTargetWith(foundryTargetSchema, emulator.demoTarget).ok, true);
  const bad = parseTargetWith(foundryTargetSchema, { projectEndpoint: 'http://x.services.ai.azure.com/api/projects/p', agentName: '-bad', agentVersion: 'latest', extra: 1 });
  assert.equal(bad.ok, false);
  assert.deepEqual(!bad.ok && [...new Set(bad.problems.map((problem) => problem.path))].sort(), ['agentName', 'agentVersion', 'extra', 'projectEndpoint']);
});

test('open: the broker session id is the agent_session_id, with a conversation; a suspended sandbox is no end: both ceilings are the 30-day lifetime', async () => {
  const handle = await open();
  assert.equal(handle.providerSessionId, handle.binding.sessionId);
  assert.match(String(handle.state.conversationId), /^conv_/);
  assert.deepEqual(handle.state.size, { vcpus: 1, memoryGib: 2 });
  assert.deepEqual(adapter.ceilings(), { idleTimeoutMaxSeconds: 30 * 24 * 3600, maxLifetimeSeconds: 30 * 24 * 3600 });
  assert.equal(await adapter.getSessionStatus(handle), 'live');
});

test('a turn streams deltas, the message, tools, and ends with tokens and estimated compute', async () => {
  const handle = await open();
  const events = await collect(handle, 'please use a tool');
  const types = events.map((event) => event.type);
  assert.ok(types.indexOf('tool.call') < types.indexOf('tool.result'));
  assert.ok(types.includes('message.delta'));
  const end = events.at(-1);
  assert.ok(end?.type === 'turn.end');
  assert.ok(end.usage.inputTokens > 0 && end.usage.outputTokens > 0);
  assert.equal(end.usage.computeEstimated, true);
  assert.ok((end.usage.gibSeconds ?? 0) >= (end.usage.vcpuSeconds ?? 0), '2 GiB per vCPU');
});

test('an in-band failure is turn.error; a stream that breaks is stream_truncated', async () => {
  const handle = await open();
  emulator.faults.add('turns.run', { kind: 'status', status: 500 });
  assert.deepEqual((await collect(handle, 'fail')).at(-1), { type: 'turn.error', code: 'provider_server_error', message: 'the agent failed (injected HTTP 500)' });
  emulator.faults.add('responses.create', { kind: 'truncate', afterEvents: 3 });
  const cut = await collect(handle, 'cut').catch((error: unknown) => error);
  if (cut instanceof RuntimeError) assert.equal(cut.kind, 'stream_truncated');
  else assert.ok(Array.isArray(cut) && !cut.some((event) => event.type === 'turn.end'), 'no turn.end after a cut');
});

test('a 429 on responses.create is not retried by the SDK: throttled, not accepted, with Retry-After', async () => {
  const handle = await open();
  emulator.faults.add('responses.create', { kind: 'status', status: 429 });
  const error = await collect(handle, 'x').catch((caught: unknown) => caught);
  assert.ok(error instanceof RuntimeError);
  assert.equal(error.kind, 'throttled');
  assert.equal(error.turnAccepted, false);
  assert.equal(error.retryAfterSeconds, 1);
  assert.equal(emulator.stats.get('responses.create'), 1);
  assert.equal(emulator.stats.get('turns.run'), 0);
});

test('a deleted or expired session is not_found on the next turn, and gone by status', async () => {
  const deleted = await open({ ...emulator.demoTarget, deleteOnTerminate: true });
  await adapter.stopSession(deleted);
  await adapter.stopSession(deleted);
  assert.equal(await adapter.getSessionStatus(deleted), 'gone');
  await assert.rejects(collect(deleted, 'x'), (error: unknown) => error instanceof RuntimeError && error.kind === 'not_found');
  const expired = await open();
  emulator.expireSession(emulator.demoTarget.agentName, expired.providerSessionId);
  await assert.rejects(collect(expired, 'x'), (error: unknown) => error instanceof RuntimeError && error.kind === 'not_found' && !error.turnAccepted);
  await adapter.stopSession(expired);
});

test('a failed conversation create deletes the session it just made', async () => {
  const bound = binding();
  emulator.faults.add('conversations.create', { kind: 'status', status: 400 });
  await assert.rejects(adapter.openSession(bound, AbortSignal.timeout(5000)), (error: unknown) => error instanceof RuntimeError && !error.turnAccepted);
  assert.deepEqual(emulator.sessions(emulator.demoTarget.agentName).filter((session) => session.id === bound.sessionId), []);
});

test('an unknown version is invalid_target', async () => {
  await assert.rejects(open({ ...emulator.demoTarget, agentVersion: '99' }), (error: unknown) => error instanceof RuntimeError && error.kind === 'invalid_target');
});

test('sandbox sizes parse Kubernetes quantities; estimates scale with time', () => {
  assert.deepEqual(parseSandboxSize('0.25', '512Mi'), { vcpus: 0.25, memoryGib: 0.5 });
  assert.deepEqual(parseSandboxSize('500m', '1Gi'), { vcpus: 0.5, memoryGib: 1 });
  assert.equal(parseSandboxSize('a lot', '1Gi'), undefined);
  assert.deepEqual(estimateCompute({ vcpus: 0.5, memoryGib: 1 }, 10), { vcpuSeconds: 5, gibSeconds: 10, computeEstimated: true });
  assert.deepEqual(estimateCompute(undefined, 10), {});
});
