import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { responseCodecs, type CodecStep } from './index.js';

const strands = () => responseCodecs.strands.startTurn();
const text = () => responseCodecs.text.startTurn();

describe('strands codec', () => {
  test('text deltas come from the raw model events, not from the derived data events', () => {
    const turn = strands();
    assert.deepEqual(turn.event({ event: { contentBlockDelta: { delta: { text: 'Hel' }, contentBlockIndex: 0 } } }), [
      { kind: 'emit', event: { type: 'message.delta', text: 'Hel' } },
    ]);
    assert.equal(turn.event({ data: 'Hel', delta: { text: 'Hel' } })[0].kind, 'ignore');
    assert.equal(turn.event({ init_event_loop: true })[0].kind, 'ignore');
  });

  test('messages give tool calls, tool results and the completed reply; metadata gives tokens; result ends the turn', () => {
    const turn = strands();
    const call = turn.event({ message: { role: 'assistant', content: [{ text: 'Let me look.' }, { toolUse: { toolUseId: 't1', name: 'search', input: { q: 'x' } } }] } });
    assert.deepEqual(call, [
      { kind: 'emit', event: { type: 'message.completed', content: [{ type: 'text', text: 'Let me look.' }] } },
      { kind: 'emit', event: { type: 'tool.call', id: 't1', name: 'search', input: { q: 'x' } } },
    ]);
    const result = turn.event({ message: { role: 'user', content: [{ toolResult: { toolUseId: 't1', status: 'error', content: [{ text: 'boom' }] } }] } });
    assert.deepEqual(result, [{ kind: 'emit', event: { type: 'tool.result', id: 't1', output: [{ text: 'boom' }], isError: true } }]);
    assert.deepEqual(turn.event({ event: { metadata: { usage: { inputTokens: 12, outputTokens: 5, totalTokens: 17 } } } }), [
      { kind: 'usage', inputTokens: 12, outputTokens: 5 },
    ]);
    assert.deepEqual(turn.event({ result: 'AgentResult(...)' }), [{ kind: 'end' }]);
    assert.deepEqual(turn.event({ force_stop: true, force_stop_reason: 'context window overflow' }), [
      { kind: 'failed', code: 'provider_force_stop', message: 'context window overflow' },
    ]);
  });

  test('callback events and the result that JSON could not encode arrive as Python reprs: ignored, and the result still ends the turn', () => {
    const turn = strands();
    const repr = "{'data': 'Hel', 'delta': {'text': 'Hel'}, 'agent': <strands.agent.agent.Agent object at 0x7f>, 'event_loop_cycle_id': UUID('0b5e')}";
    assert.equal(turn.event(repr)[0].kind, 'ignore');
    assert.equal(turn.event("{'type': 'tool_use_stream', 'delta': {}, 'agent': <x>}")[0].kind, 'ignore');
    assert.deepEqual(turn.event("{'result': AgentResult(stop_reason='end_turn', message={'role': 'assistant'}, metrics=EventLoopMetrics(), state={})}"), [{ kind: 'end' }]);
  });

  test('plain strings are the reply (an agent that yields text); the clean end of the body completes and ends it', () => {
    const turn = strands();
    assert.deepEqual(turn.event('Hel'), [{ kind: 'emit', event: { type: 'message.delta', text: 'Hel' } }]);
    assert.deepEqual(turn.event('lo'), [{ kind: 'emit', event: { type: 'message.delta', text: 'lo' } }]);
    assert.deepEqual(turn.finish(), [{ kind: 'emit', event: { type: 'message.completed', content: [{ type: 'text', text: 'Hello' }] } }, { kind: 'end' }]);
    assert.deepEqual(strands().finish(), [{ kind: 'end' }]);
  });

  test('a JSON AgentResult carries the invocation\'s tokens in metrics.accumulated_usage', () => {
    const steps = strands().document({ result: { stop_reason: 'end_turn', message: { role: 'assistant', content: [{ text: 'hi' }] }, metrics: { accumulated_usage: { inputTokens: 7, outputTokens: 3, totalTokens: 10 } } } });
    assert.deepEqual(steps[0], { kind: 'usage', inputTokens: 7, outputTokens: 3 });
    assert.equal(steps.at(-1)?.kind, 'end');
  });

  test('a JSON body is read whole: the captured {"result": message} shape, an AgentResult dict, a string', () => {
    const reply = (steps: CodecStep[]) => steps.flatMap((step) => (step.kind === 'emit' && step.event.type === 'message.completed' ? [step.event.content[0].text] : []));
    assert.deepEqual(reply(strands().document({ result: { role: 'assistant', content: [{ text: 'Hi from JSON' }] } })), ['Hi from JSON']);
    assert.deepEqual(reply(strands().document({ result: { stop_reason: 'end_turn', message: { role: 'assistant', content: [{ text: 'nested' }] } } })), ['nested']);
    assert.deepEqual(strands().document({ result: 'just text' }).at(-1), { kind: 'end' });
    assert.equal(strands().document({ unexpected: true })[0].kind, 'failed');
  });
});

describe('text codec', () => {
  test('JSON strings, raw text and typed chunks are deltas; done completes the message with its usage', () => {
    const turn = text();
    assert.deepEqual(turn.event('Hello'), [{ kind: 'emit', event: { type: 'message.delta', text: 'Hello' } }]);
    assert.deepEqual(turn.event({ type: 'text', text: ', world' }), [{ kind: 'emit', event: { type: 'message.delta', text: ', world' } }]);
    assert.equal(turn.event({ type: 'tool_use', name: 'x' })[0].kind, 'ignore');
    assert.deepEqual(turn.event({ type: 'done', usage: { input_tokens: 12, output_tokens: 5 } }), [
      { kind: 'usage', inputTokens: 12, outputTokens: 5 },
      { kind: 'emit', event: { type: 'message.completed', content: [{ type: 'text', text: 'Hello, world' }] } },
      { kind: 'end' },
    ]);
  });

  test('without the optional done marker, the clean end of the body completes the reply, with no tokens', () => {
    const turn = text();
    turn.event('Hello');
    turn.event(', world');
    assert.deepEqual(turn.finish(), [{ kind: 'emit', event: { type: 'message.completed', content: [{ type: 'text', text: 'Hello, world' }] } }, { kind: 'end' }]);
  });

  test('documents: a string, {"result": string, "usage"} or {"result": message}', () => {
    assert.deepEqual(text().document('plain'), [{ kind: 'emit', event: { type: 'message.completed', content: [{ type: 'text', text: 'plain' }] } }, { kind: 'end' }]);
    assert.deepEqual(text().document({ result: 'r', usage: { inputTokens: 1, outputTokens: 2 } }).slice(0, 1), [{ kind: 'usage', inputTokens: 1, outputTokens: 2 }]);
    assert.equal(text().document({ result: { role: 'assistant', content: [{ text: 'm' }] } }).length, 2);
    assert.equal(text().document(42)[0].kind, 'failed');
  });
});
