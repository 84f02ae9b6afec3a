import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planTurn } from './deterministic-agent.js';

test('a first turn is one model request: the reply, costed by word count', () => {
  const { modelRequests } = planTurn({ text: 'hello there', earlierTexts: [], contextWords: 0 });
  assert.equal(modelRequests.length, 1);
  const [reply] = modelRequests;
  assert.equal(reply.kind, 'message');
  assert.equal(reply.kind === 'message' && reply.text, 'Turn 1. You said: "hello there".');
  assert.equal(reply.kind === 'message' && reply.chunks.join(''), 'Turn 1. You said: "hello there".');
  // 40 prompt tokens + 2 per word of the message; 2 per word of the 6-word reply.
  assert.deepEqual(reply.usage, { input_tokens: 44, output_tokens: 12 });
  assert.equal(reply.durationMs, 400 + 12 * 10);
});

test('the word "tool" adds a bash request first, quoted for the shell', () => {
  assert.equal(planTurn({ text: 'open the toolbox', earlierTexts: [], contextWords: 0 }).modelRequests.length, 1);
  const { modelRequests } = planTurn({ text: "use the Tool, it's fine", earlierTexts: [], contextWords: 0 });
  const [toolCall, reply] = modelRequests;
  assert.equal(toolCall.kind, 'tool_use');
  assert.equal(toolCall.kind === 'tool_use' && toolCall.name, 'bash');
  assert.deepEqual(toolCall.kind === 'tool_use' && toolCall.input, { command: `echo 'use the Tool, it'\\''s fine'` });
  assert.equal(toolCall.durationMs, 400 + toolCall.usage.output_tokens * 10 + 250);
  assert.ok(reply.usage.input_tokens > toolCall.usage.input_tokens, 'the reply reads the tool result');
});
