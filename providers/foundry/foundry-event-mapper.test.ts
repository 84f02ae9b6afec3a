import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mapFoundryEvent, portableSessionState } from './foundry-event-mapper.js';

test('text deltas stream as message.delta; a finished assistant message is message.completed', () => {
  assert.deepEqual(mapFoundryEvent({ type: 'response.output_text.delta', delta: 'Hel', sequence_number: 4 }), {
    kind: 'emit',
    events: [{ type: 'message.delta', text: 'Hel' }],
  });
  const done = { type: 'response.output_item.done', item: { id: 'msg_1', type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Hello' }, { type: 'refusal', refusal: 'no' }] } };
  assert.deepEqual(mapFoundryEvent(done), { kind: 'emit', events: [{ type: 'message.completed', content: [{ type: 'text', text: 'Hello' }] }] });
});

test('a function call and its output become tool.call and tool.result with the call id', () => {
  const call = { type: 'response.output_item.done', item: { type: 'function_call', id: 'fc_1', call_id: 'call_9', name: 'list_files', arguments: '{"path":"/files"}' } };
  assert.deepEqual(mapFoundryEvent(call), { kind: 'emit', events: [{ type: 'tool.call', id: 'call_9', name: 'list_files', input: { path: '/files' } }] });
  const output = { type: 'response.output_item.done', item: { type: 'function_call_output', id: 'fco_1', call_id: 'call_9', output: 'a.md' } };
  assert.deepEqual(mapFoundryEvent(output), { kind: 'emit', events: [{ type: 'tool.result', id: 'call_9', output: 'a.md', isError: false }] });
  const unparsable = { type: 'response.output_item.done', item: { type: 'function_call', call_id: 'c', name: 'n', arguments: '{oops' } };
  assert.deepEqual(mapFoundryEvent(unparsable), { kind: 'emit', events: [{ type: 'tool.call', id: 'c', name: 'n', input: '{oops' }] });
});

test('an MCP call carries both the call and its (failed) result', () => {
  const failed = { type: 'response.output_item.done', item: { type: 'mcp_call', id: 'mcp_1', name: 'search', arguments: '{}', error: { message: 'denied' } } };
  assert.deepEqual(mapFoundryEvent(failed), {
    kind: 'emit',
    events: [
      { type: 'tool.call', id: 'mcp_1', name: 'search', input: {} },
      { type: 'tool.result', id: 'mcp_1', output: { message: 'denied' }, isError: true },
    ],
  });
});

test('response.completed ends the turn with its usage; failures are in-band errors', () => {
  assert.deepEqual(mapFoundryEvent({ type: 'response.completed', response: { id: 'r', usage: { input_tokens: 12, output_tokens: 7, total_tokens: 19 } } }), {
    kind: 'completed',
    usage: { inputTokens: 12, outputTokens: 7 },
  });
  assert.deepEqual(mapFoundryEvent({ type: 'response.failed', response: { error: { code: 'server_error', message: 'boom' } } }), {
    kind: 'failed',
    code: 'provider_server_error',
    message: 'boom',
  });
  assert.deepEqual(mapFoundryEvent({ type: 'response.incomplete', response: { incomplete_details: { reason: 'max_output_tokens' } } }), {
    kind: 'failed',
    code: 'provider_incomplete',
    message: 'the response is incomplete: max_output_tokens',
  });
  assert.deepEqual(mapFoundryEvent({ type: 'error', code: 'rate_limit_exceeded', message: 'slow down' }), {
    kind: 'failed',
    code: 'provider_rate_limit_exceeded',
    message: 'slow down',
  });
});

test('lifecycle and unknown events are not in the portable stream', () => {
  assert.deepEqual(mapFoundryEvent({ type: 'response.created', response: {} }), { kind: 'ignore', type: 'response.created' });
  assert.deepEqual(mapFoundryEvent({ type: 'response.output_item.done', item: { type: 'reasoning', id: 'rs_1' } }), {
    kind: 'ignore',
    type: 'response.output_item.done (reasoning)',
  });
  assert.deepEqual(mapFoundryEvent('garbage'), { kind: 'ignore', type: 'unknown' });
});

test('session statuses map onto the portable states; expired and deleted are terminated', () => {
  assert.equal(portableSessionState('creating'), 'provisioning');
  assert.equal(portableSessionState('active'), 'active');
  assert.equal(portableSessionState('updating'), 'active');
  assert.equal(portableSessionState('idle'), 'idle');
  for (const status of ['failed', 'deleting', 'deleted', 'expired', 'something-new']) assert.equal(portableSessionState(status), 'terminated', status);
});

test('an mcp_approval_request is an approval request; the mcp_call it allowed keeps the request id', () => {
  // Item shapes: openai resources/responses/responses.d.ts (McpApprovalRequest, McpCall.approval_request_id).
  const request = { type: 'response.output_item.done', item: { id: 'mcpr_1', type: 'mcp_approval_request', server_label: 'files', name: 'list_files', arguments: '{"path":"/files"}' } };
  assert.deepEqual(mapFoundryEvent(request), { kind: 'emit', events: [{ type: 'approval.requested', toolCallId: 'mcpr_1', name: 'list_files', input: { path: '/files' } }] });
  const call = {
    type: 'response.output_item.done',
    item: { id: 'mcp_9', type: 'mcp_call', server_label: 'files', name: 'list_files', arguments: '{"path":"/files"}', output: 'notes.md', error: null, approval_request_id: 'mcpr_1' },
  };
  assert.deepEqual(mapFoundryEvent(call), {
    kind: 'emit',
    events: [
      { type: 'tool.call', id: 'mcpr_1', name: 'list_files', input: { path: '/files' } },
      { type: 'tool.result', id: 'mcpr_1', output: 'notes.md', isError: false },
    ],
  });
});
