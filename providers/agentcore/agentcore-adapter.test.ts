import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { isRuntimeError, type RuntimeError, type RuntimeEvent, type SessionBinding, type SessionHandle } from '#libs/runtime-spec';
import { AgentCoreAdapter } from './agentcore-adapter.js';
import type { AgentCoreTarget } from './agentcore-target.js';
import { startAgentCoreEmulator, type AgentCoreEmulator } from './emulator/index.js';

/** The adapter with the real SDK against the emulator: wire behaviour the broker never sees directly. */
describe('AgentCoreAdapter against the emulator', () => {
  let emulator: AgentCoreEmulator;
  let adapter: AgentCoreAdapter;
  let sequence = 0;

  before(async () => {
    emulator = await startAgentCoreEmulator();
    adapter = new AgentCoreAdapter({ connection: { kind: 'emulator', endpoint: emulator.url }, mode: 'emulated', callTimeoutMs: 5000 });
  });
  after(async () => {
    adapter.close();
    await emulator.stop();
  });

  const binding = (target: AgentCoreTarget = emulator.demoTarget): SessionBinding => ({
    sessionId: `ses_adaptertest${String(++sequence).padStart(14, '0')}`,
    tenantId: 'ten_test',
    userId: 'u-1',
    agent: { id: 'agt_1', name: 'test', instructions: null },
    target,
    metadata: {},
    idleTimeoutSeconds: 600,
    maxLifetimeSeconds: 3600,
  });
  const open = async (target?: AgentCoreTarget): Promise<SessionHandle> => {
    const bound = binding(target);
    const opened = await adapter.openSession(bound, AbortSignal.timeout(5000));
    return { binding: bound, providerSessionId: opened.providerSessionId, state: opened.state };
  };
  const run = async (session: SessionHandle, text: string): Promise<RuntimeEvent[]> => {
    const events: RuntimeEvent[] = [];
    for await (const event of adapter.runTurn({ session, turnId: `trn_${++sequence}`, input: [{ type: 'text', text }], signal: AbortSignal.timeout(5000) })) events.push(event);
    return events;
  };
  const failure = async (work: Promise<unknown>): Promise<RuntimeError> => {
    try {
      await work;
    } catch (error) {
      assert.ok(isRuntimeError(error), String(error));
      return error;
    }
    assert.fail('expected a RuntimeError');
  };

  test('open calls nothing and is idempotent; a turn streams portable events and ends with usage and state', async () => {
    const bound = binding();
    const invocations = emulator.stats.get('invoke');
    const first = await adapter.openSession(bound, AbortSignal.timeout(5000));
    const again = await adapter.openSession(bound, AbortSignal.timeout(5000));
    assert.equal(first.providerSessionId, again.providerSessionId);
    assert.equal(emulator.stats.get('invoke'), invocations, 'no provider call on open');
    const session = { binding: bound, ...first };
    const events = await run(session, 'please use a tool');
    assert.deepEqual(events.map((event) => event.type), ['tool.call', 'tool.result', 'message.delta', 'message.delta', 'message.delta', 'message.completed', 'turn.end']);
    const end = events.at(-1) as Extract<RuntimeEvent, { type: 'turn.end' }>;
    assert.ok(end.usage.inputTokens > 0 && end.usage.outputTokens > 0);
    assert.equal(end.usage.computeEstimated, true);
    assert.ok(end.usage.vcpuSeconds !== undefined && end.usage.gibSeconds === end.usage.vcpuSeconds * 4);
    assert.equal(end.state?.turns, 1);
  });

  test('invoke is a single SDK attempt: a 429 is throttled and not accepted, a 500 is unavailable and maybe accepted', async () => {
    const session = await open();
    const invocations = emulator.stats.get('invoke');
    emulator.faults.add('invoke', { kind: 'status', status: 429 });
    const throttled = await failure(run(session, 'x'));
    assert.equal(throttled.kind, 'throttled');
    assert.equal(throttled.turnAccepted, false);
    assert.equal(throttled.providerCode, 'ThrottlingException');
    assert.ok(throttled.providerRequestId);
    emulator.faults.add('invoke', { kind: 'status', status: 500 });
    const internal = await failure(run(session, 'x'));
    assert.equal(internal.kind, 'unavailable');
    assert.equal(internal.turnAccepted, true, 'a 500 may come after the agent started');
    assert.equal(emulator.stats.get('invoke') - invocations, 2, 'the SDK did not retry either');
  });

  test('402 quota is throttled; 424 from the container is a provider error; an unknown runtime is an invalid target', async () => {
    const session = await open();
    emulator.faults.add('invoke', { kind: 'status', status: 402 });
    assert.equal((await failure(run(session, 'x'))).kind, 'throttled');
    emulator.faults.add('invoke', { kind: 'status', status: 424 });
    const container = await failure(run(session, 'x'));
    assert.deepEqual([container.kind, container.providerCode, container.turnAccepted], ['provider_error', 'RuntimeClientError', true]);
    const missing = await open({ ...emulator.demoTarget, agentRuntimeArn: emulator.demoTarget.agentRuntimeArn.replace('SbDemo0001', 'Missing001') });
    const notFound = await failure(run(missing, 'x'));
    assert.deepEqual([notFound.kind, notFound.providerCode], ['invalid_target', 'ResourceNotFoundException']);
  });

  test('a reset socket or a body without the terminator is stream_truncated', async () => {
    const session = await open();
    emulator.faults.add('invoke', { kind: 'truncate', afterEvents: 1 });
    const cut = await failure(run(session, 'x'));
    assert.deepEqual([cut.kind, cut.turnAccepted], ['stream_truncated', true]);
  });

  test('a session AgentCore must have reaped by now fails before any invocation', async () => {
    const session = await open();
    const state = { ...session.state, turns: 1, startedAt: Date.now() - 1000, lastContactAt: Date.now() - 901_000 };
    const invocations = emulator.stats.get('invoke');
    const reaped = await failure(run({ ...session, state }, 'x'));
    assert.deepEqual([reaped.kind, reaped.turnAccepted, reaped.providerCode], ['not_found', false, 'idle_timeout']);
    assert.equal(emulator.stats.get('invoke'), invocations);
  });

  test('stop ends the microVM; stopping again (404) counts as stopped', async () => {
    const session = await open();
    await run(session, 'hello');
    assert.ok(emulator.hasMicroVm(session.providerSessionId));
    await adapter.stopSession(session);
    assert.equal(emulator.hasMicroVm(session.providerSessionId), false);
    await adapter.stopSession(session);
  });

  test('lifecycleFromControlPlane reads GetAgentRuntime: the state and later ceilings follow the runtime', async () => {
    const runtime = emulator.addRuntime({ name: 'short_idle', dialect: 'text', idleTimeoutSeconds: 120 });
    const target: AgentCoreTarget = { agentRuntimeArn: runtime.arn, responseCodec: 'text', lifecycleFromControlPlane: true };
    assert.equal(adapter.ceilings(target).idleTimeoutMaxSeconds, 895, 'before the first read: the target (default 900) less the margin');
    const session = await open(target);
    assert.deepEqual(session.state.lifecycle, { idleTimeoutSeconds: 120, maxLifetimeSeconds: 28_800 });
    assert.equal(adapter.ceilings(target).idleTimeoutMaxSeconds, 115);
    assert.equal(emulator.stats.get('getAgentRuntime'), 1);
    await open(target);
    assert.equal(emulator.stats.get('getAgentRuntime'), 1, 'cached');
  });

  test('checkTarget reads GetAgentRuntime every time: READY or UPDATING serve, CREATING is not ready, unknown is not found', async () => {
    const check = (runtime: { arn: string }) => adapter.checkTarget({ ...emulator.demoTarget, agentRuntimeArn: runtime.arn }, AbortSignal.timeout(5000));
    const before = emulator.stats.get('getAgentRuntime');
    assert.deepEqual(await adapter.checkTarget(emulator.demoTarget, AbortSignal.timeout(5000)), { ok: true });
    assert.deepEqual(await check(emulator.addRuntime({ name: 'updating', dialect: 'strands', status: 'UPDATING' })), { ok: true });
    const creating = await check(emulator.addRuntime({ name: 'creating', dialect: 'strands', status: 'CREATING' }));
    assert.equal(creating.ok === false && creating.code, 'target_not_ready');
    assert.match(creating.ok ? '' : creating.detail, /CREATING/);
    const unknown = await check({ arn: emulator.demoTarget.agentRuntimeArn.replace(/runtime\/.*$/, 'runtime/gone-AbCdEfGhIj') });
    assert.equal(unknown.ok === false && unknown.code, 'target_not_found');
    assert.equal(emulator.stats.get('getAgentRuntime') - before, 4, 'one control-plane read per check, none cached');
  });
});
