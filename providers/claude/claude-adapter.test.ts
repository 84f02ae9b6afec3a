import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { newId } from '#libs/ids';
import { isRuntimeError, type RuntimeEvent, type SessionBinding } from '#libs/runtime-spec';
import { ClaudeAdapter } from './claude-adapter.js';
import { echoMatcher } from './claude-event-mapper.js';
import { startClaudeEmulator, type ClaudeEmulator } from './emulator/index.js';

let emulator: ClaudeEmulator;
let adapter: ClaudeAdapter;

before(async () => {
  emulator = await startClaudeEmulator();
  adapter = new ClaudeAdapter({ apiKey: 'sk-ant-test', baseUrl: emulator.url, mode: 'emulated', callTimeoutMs: 5000 });
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
  test('is known by the id the send returned, not by being the next user.message', () => {
    const isOurs = echoMatcher({ data: [{ id: 'sevt_2' }] }, content);
    assert.equal(isOurs({ type: 'user.message', id: 'sevt_1', content: [{ type: 'text', text: 'first question' }] }), false);
    assert.equal(isOurs({ type: 'user.message', id: 'sevt_2', content }), true);
    assert.equal(isOurs({ type: 'session.status_idle', id: 'sevt_2' }), false);
  });

  test('without ids in the send response, a late echo of an earlier, different message is not ours', () => {
    const isOurs = echoMatcher({ data: [] }, content);
    assert.equal(isOurs({ type: 'user.message', id: 'sevt_1', content: [{ type: 'text', text: 'first question' }] }), false);
    assert.equal(isOurs({ type: 'user.message', id: 'sevt_2', content }), true);
  });
});
