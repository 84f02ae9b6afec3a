import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import Anthropic from '@anthropic-ai/sdk';
import { newId } from '#libs/ids';
import { isRuntimeError, type RuntimeEvent, type SessionBinding, type TurnUsage } from '#libs/runtime-spec';
import { ClaudeAdapter } from './claude-adapter.js';
import { echoMatcher } from './claude-event-mapper.js';
import { startClaudeEmulator, type ClaudeEmulator } from './emulator/index.js';

let emulator: ClaudeEmulator;
let adapter: ClaudeAdapter;

before(async () => {
  emulator = await startClaudeEmulator();
  adapter = new ClaudeAdapter({ apiKey: 'sk-ant-test', identities: new Map(), baseUrl: emulator.url, mode: 'emulated', callTimeoutMs: 5000 });
});
after(() => emulator.stop());

const binding = (): SessionBinding => ({
  sessionId: newId('ses'),
  tenantId: 'ten_test',
  userId: 'u-1',
  agent: { id: 'agt_1', name: 'a', instructions: null },
  target: emulator.demoTarget,
  metadata: {},
  idleTimeoutSeconds: 900,
  maxLifetimeSeconds: 3600,
});

async function turn(bound: SessionBinding, providerSessionId: string, text: string): Promise<RuntimeEvent[]> {
  const events: RuntimeEvent[] = [];
  const request = { session: { binding: bound, providerSessionId, state: {} }, turnId: newId('trn'), input: [{ type: 'text' as const, text }], signal: AbortSignal.timeout(10_000) };
  for await (const event of adapter.runTurn(request)) events.push(event);
  return events;
}

describe('Claude 409s', () => {
  test('a conflict that does not say the session is gone is transient: unavailable, not accepted, the session lives on', async () => {
    const bound = binding();
    const opened = await adapter.openSession(bound, AbortSignal.timeout(5000));
    emulator.faults.add('events.send', {
      kind: 'status',
      status: 409,
      body: { type: 'error', error: { type: 'invalid_request_error', message: 'another request for this session is in progress' } },
    });
    const error = await turn(bound, opened.providerSessionId, 'hi').then(() => undefined, (caught: unknown) => caught);
    assert.ok(isRuntimeError(error), String(error));
    assert.equal(error.kind, 'unavailable');
    assert.equal(error.turnAccepted, false);
    assert.equal((await turn(bound, opened.providerSessionId, 'again')).at(-1)?.type, 'turn.end');
  });

  test('a send to an archived session (409 that says so) is the session gone', async () => {
    const bound = binding();
    const opened = await adapter.openSession(bound, AbortSignal.timeout(5000));
    await adapter.stopSession({ binding: bound, providerSessionId: opened.providerSessionId, state: {} });
    const error = await turn(bound, opened.providerSessionId, 'hi').then(() => undefined, (caught: unknown) => caught);
    assert.ok(isRuntimeError(error), String(error));
    assert.equal(error.kind, 'not_found');
  });
});

describe('the echo of our message', () => {
  const content = [{ type: 'text' as const, text: 'second question' }];
  const message = [{ type: 'user.message' as const, content }];
  test('is known by the id the send returned, not by being the next user.message', () => {
    const isOurs = echoMatcher({ data: [{ id: 'sevt_2' }] }, message);
    assert.equal(isOurs({ type: 'user.message', id: 'sevt_1', content: [{ type: 'text', text: 'first question' }] }), false);
    assert.equal(isOurs({ type: 'user.message', id: 'sevt_2', content }), true);
    assert.equal(isOurs({ type: 'session.status_idle', id: 'sevt_2' }), false);
  });

  test('without ids in the send response, a late echo of an earlier, different message is not ours', () => {
    const isOurs = echoMatcher({ data: [] }, message);
    assert.equal(isOurs({ type: 'user.message', id: 'sevt_1', content: [{ type: 'text', text: 'first question' }] }), false);
    assert.equal(isOurs({ type: 'user.message', id: 'sevt_2', content }), true);
  });
});

describe('turn usage', () => {
  /** Runs turns like the broker does: each turn starts from the state the previous one ended with. */
  async function conversation(texts: string[], beforeTurn: (index: number) => void = () => undefined) {
    const bound = binding();
    const opened = await adapter.openSession(bound, AbortSignal.timeout(5000));
    let state = opened.state;
    const usages: TurnUsage[] = [];
    for (const [index, text] of texts.entries()) {
      beforeTurn(index);
      const request = { session: { binding: bound, providerSessionId: opened.providerSessionId, state }, turnId: newId('trn'), input: [{ type: 'text' as const, text }], signal: AbortSignal.timeout(10_000) };
      let end: Extract<RuntimeEvent, { type: 'turn.end' }> | undefined;
      for await (const event of adapter.runTurn(request)) if (event.type === 'turn.end') end = event;
      assert.ok(end, `turn ${index + 1} ended`);
      usages.push(end.usage);
      state = end.state ?? state;
    }
    const session = await new Anthropic({ apiKey: 'sk-ant-test', baseURL: emulator.url, maxRetries: 0 }).beta.sessions.retrieve(opened.providerSessionId);
    return { usages, total: session.usage };
  }
  const sum = (usages: TurnUsage[], field: keyof TurnUsage) => usages.reduce((total, usage) => total + Number(usage[field] ?? 0), 0);

  test('a turn that streamed no session.usage is metered from the session itself', async () => {
    const { usages, total } = await conversation(['my name is Ada', 'what is my name']);
    // The emulator, like the service, sends no usage snapshot at the end of every turn: the second here has none.
    assert.ok(usages[1].inputTokens > 0 && usages[1].outputTokens > 0, JSON.stringify(usages[1]));
    assert.equal(sum(usages, 'inputTokens'), total.input_tokens);
    assert.equal(sum(usages, 'outputTokens'), total.output_tokens);
    assert.ok(usages[1].providerActiveSeconds! > 0);
    assert.equal(sum(usages, 'providerActiveSeconds').toFixed(6), total.active_seconds!.toFixed(6));
  });

  test('prompt-cache reads and writes are reported apart from the uncached input', async () => {
    const { usages, total } = await conversation(['my name is Ada', 'what is my name', 'and again']);
    assert.ok(usages[0].cacheCreationInputTokens! > 0, 'the first turn writes the cache');
    assert.equal(usages[0].cacheReadInputTokens, undefined, 'nothing to read on the first turn');
    assert.ok(usages[1].cacheReadInputTokens! >= usages[0].cacheCreationInputTokens!, 'the second turn reads what the first wrote');
    assert.equal(sum(usages, 'cacheReadInputTokens'), total.cache_read_input_tokens);
    assert.equal(sum(usages, 'cacheCreationInputTokens'), total.cache_creation?.ephemeral_5m_input_tokens);
    assert.equal(sum(usages, 'cacheCreation1hInputTokens'), 0, 'the emulator writes 5-minute entries only');
  });

  test('when the session cannot be read after a turn, the turn still ends and the next turn books what it missed', async () => {
    // Turn 2 streams no usage and its read fails (the SDK's two retries included); turn 3 reads the session again.
    const { usages, total } = await conversation(['one', 'two', 'three'], (index) => {
      if (index === 1) emulator.faults.add('sessions.retrieve', { kind: 'status', status: 500, times: 3 });
    });
    assert.equal(emulator.faults.pending('sessions.retrieve'), 0);
    assert.equal(usages[1].outputTokens, 0, 'nothing seen for turn 2');
    assert.equal(sum(usages, 'inputTokens'), total.input_tokens);
    assert.equal(sum(usages, 'outputTokens'), total.output_tokens);
    assert.equal(sum(usages, 'cacheReadInputTokens'), total.cache_read_input_tokens);
  });
});

describe('Claude checkTarget', () => {
  test('retrieves the agent and the environment: either missing is target_not_found naming it; a 403 is permission_denied', async () => {
    const check = (target: object) => adapter.checkTarget({ ...emulator.demoTarget, ...target }, AbortSignal.timeout(5000));
    assert.deepEqual(await check({}), { ok: true });
    const noEnvironment = await check({ environmentId: 'env_01Missing' });
    assert.equal(noEnvironment.ok === false && noEnvironment.code, 'target_not_found');
    assert.match(noEnvironment.ok ? '' : noEnvironment.detail, /env_01Missing/);
    const noAgent = await check({ agentId: 'agent_01Missing' });
    assert.match(noAgent.ok ? '' : `${noAgent.code} ${noAgent.detail}`, /^target_not_found .*agent_01Missing/);
    emulator.faults.add('agents.retrieve', { kind: 'status', status: 403 });
    const denied = await check({});
    assert.equal(denied.ok === false && denied.code, 'permission_denied');
  });
});
