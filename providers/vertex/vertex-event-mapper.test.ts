import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HttpBodyDecoder, mapAdkEvent } from './vertex-event-mapper.js';

const body = (text: string) => ({ contentType: 'application/json', data: Buffer.from(text) });
const text = (value: string, extra: Record<string, unknown> = {}) => ({ author: 'agent', content: { role: 'model', parts: [{ text: value }] }, ...extra });

test('one HttpBody may carry several events, and a line may continue in the next message', () => {
  const decoder = new HttpBodyDecoder();
  assert.deepEqual(decoder.push(body('{"a":1}\n{"b":2}\n')), [{ json: { a: 1 } }, { json: { b: 2 } }]);
  assert.deepEqual(decoder.push(body('{"c":')), []);
  assert.deepEqual(decoder.push(body('3}\n{"d":4}')), [{ json: { c: 3 } }, { json: { d: 4 } }], 'an unterminated last line that parses is complete');
  assert.deepEqual(decoder.flush(), []);
});

test('a non-JSON body is handed back as text, never thrown', () => {
  const decoder = new HttpBodyDecoder();
  assert.deepEqual(decoder.push(body('plain words\n{"ok":true}\n')), [{ text: 'plain words' }, { json: { ok: true } }]);
  assert.deepEqual(decoder.push(body('no newline, not json')), []);
  assert.deepEqual(decoder.flush(), [{ text: 'no newline, not json' }]);
  assert.deepEqual(decoder.push({ contentType: 'application/json' }), [], 'a message without data');
  assert.deepEqual(decoder.push('garbage'), []);
});

test('multi-byte characters split across messages survive', () => {
  const decoder = new HttpBodyDecoder();
  const bytes = Buffer.from('{"t":"é"}\n');
  assert.deepEqual([...decoder.push({ data: bytes.subarray(0, 7) }), ...decoder.push({ data: bytes.subarray(7) })], [{ json: { t: 'é' } }]);
});

test('partial text is a delta; the complete event is message.completed with its usage', () => {
  assert.deepEqual(mapAdkEvent(text('Hel', { partial: true })), { events: [{ type: 'message.delta', text: 'Hel' }], finality: 'partial' });
  const final = mapAdkEvent(text('Hello', { usage_metadata: { prompt_token_count: 7, candidates_token_count: 2, thoughts_token_count: 3 } }));
  assert.deepEqual(final, {
    events: [{ type: 'message.completed', content: [{ type: 'text', text: 'Hello' }] }],
    usage: { inputTokens: 7, outputTokens: 5 },
    finality: 'final',
  });
});

test('thought parts are not part of the answer', () => {
  const step = mapAdkEvent({ content: { parts: [{ text: 'thinking…', thought: true }, { text: 'Answer' }] } });
  assert.deepEqual(step?.events, [{ type: 'message.completed', content: [{ type: 'text', text: 'Answer' }] }]);
});

test('function_call and function_response are tool.call and tool.result, and do not end the turn', () => {
  const call = mapAdkEvent({ content: { parts: [{ function_call: { id: 'adk-1', name: 'lookup', args: { q: 'x' } } }] } });
  assert.deepEqual(call, { events: [{ type: 'tool.call', id: 'adk-1', name: 'lookup', input: { q: 'x' } }], usage: undefined, finality: 'intermediate' });
  const result = mapAdkEvent({ content: { role: 'user', parts: [{ function_response: { id: 'adk-1', name: 'lookup', response: { error: 'boom' } } }] } });
  assert.deepEqual(result?.events, [{ type: 'tool.result', id: 'adk-1', output: { error: 'boom' }, isError: true }]);
  assert.equal(result?.finality, 'intermediate');
  const withoutId = mapAdkEvent({ content: { parts: [{ function_call: { name: 'lookup' } }] } });
  assert.deepEqual(withoutId?.events, [{ type: 'tool.call', id: 'lookup', name: 'lookup', input: {} }]);
});

test('a long-running tool call or skip_summarization ends the turn, as ADK says', () => {
  assert.equal(mapAdkEvent({ content: { parts: [{ function_call: { id: 'c', name: 'approve' } }] }, long_running_tool_ids: ['c'] })?.finality, 'final');
  assert.equal(mapAdkEvent({ content: { parts: [{ function_response: { name: 'f', response: {} } }] }, actions: { skip_summarization: true } })?.finality, 'final');
});

test('error_code is an in-band failure with a provider_ code', () => {
  assert.deepEqual(mapAdkEvent({ error_code: 'MALFORMED_FUNCTION_CALL', error_message: 'bad call' }), {
    events: [],
    finality: 'final',
    error: { code: 'provider_malformed_function_call', message: 'bad call' },
  });
  assert.equal(mapAdkEvent({ error_code: 429 })?.error?.code, 'provider_429');
});

test('values that are not ADK events map to nothing', () => {
  assert.equal(mapAdkEvent('just a string'), undefined);
  assert.equal(mapAdkEvent([1, 2]), undefined);
  assert.equal(mapAdkEvent({ content: { parts: 'nope' } }), undefined);
});

test('a tool awaiting confirmation: its placeholder error is not a result; adk_request_confirmation is an approval request on the original call', () => {
  // The two events ADK streams for FunctionTool(require_confirmation=True) (google/adk-python
  // flows/llm_flows/functions.py generate_request_confirmation_event, tools/function_tool.py).
  const placeholder = {
    author: 'agent',
    content: { role: 'user', parts: [{ function_response: { id: 'adk-call-1', name: 'refund', response: { error: 'This tool call requires confirmation, please approve or reject.' } } }] },
    actions: { skip_summarization: true, requested_tool_confirmations: { 'adk-call-1': { hint: 'approve?', confirmed: false } } },
  };
  assert.deepEqual(mapAdkEvent(placeholder)?.events, []);
  const request = {
    author: 'agent',
    content: {
      role: 'user',
      parts: [
        {
          function_call: {
            id: 'adk-4f1c',
            name: 'adk_request_confirmation',
            args: { originalFunctionCall: { id: 'adk-call-1', name: 'refund', args: { order: 4471 } }, toolConfirmation: { hint: 'approve?', confirmed: false } },
          },
        },
      ],
    },
    long_running_tool_ids: ['adk-4f1c'],
  };
  const step = mapAdkEvent(request);
  assert.deepEqual(step?.events, [{ type: 'approval.requested', toolCallId: 'adk-call-1', name: 'refund', input: { order: 4471 } }]);
  assert.deepEqual(step?.confirmations, [{ toolCallId: 'adk-call-1', confirmationId: 'adk-4f1c' }]);
  assert.equal(step?.finality, 'final', 'a long-running call ends the turn');
});
