import { test } from 'node:test';
import assert from 'node:assert/strict';
import { countWords, planTurn, splitIntoChunks } from './deterministic-agent.js';

test('a first turn quotes the message and costs by word count', () => {
  const { modelRequests } = planTurn({ turn: 1, text: 'hello there', earlierTexts: [], contextWords: 0 });
  assert.equal(modelRequests.length, 1);
  const [reply] = modelRequests;
  assert.equal(reply.kind, 'message');
  assert.equal(reply.kind === 'message' && reply.text, 'Turn 1. You said: "hello there".');
  // 40 prompt tokens + 2 per word of the message; 2 per word of the 6-word reply.
  assert.deepEqual(reply.usage, { input_tokens: 44, output_tokens: 12 });
  assert.equal(reply.durationMs, 400 + 12 * 10);
});

test('a later turn quotes the previous message and reads the whole context', () => {
  const { modelRequests } = planTurn({ turn: 3, text: 'third', earlierTexts: ['first', 'second'], contextWords: 20 });
  const [reply] = modelRequests;
  assert.equal(reply.kind === 'message' && reply.text, 'Turn 3. You said: "third". Earlier you said: "second".');
  assert.equal(reply.usage.input_tokens, 40 + 2 * 20 + 2);
});

test('only the word "tool" triggers a bash call, quoted for the shell', () => {
  assert.equal(planTurn({ turn: 1, text: 'open the toolbox', earlierTexts: [], contextWords: 0 }).modelRequests.length, 1);
  const { modelRequests } = planTurn({ turn: 1, text: "use the Tool, it's fine", earlierTexts: [], contextWords: 0 });
  const [toolCall, reply] = modelRequests;
  assert.equal(toolCall.kind, 'tool_use');
  assert.deepEqual(toolCall.kind === 'tool_use' && toolCall.input, { command: `echo 'use the Tool, it'\\''s fine'` });
  assert.equal(toolCall.durationMs, 400 + toolCall.usage.output_tokens * 10 + 250);
  assert.ok(reply.usage.input_tokens > toolCall.usage.input_tokens, 'the reply reads the tool result');
});

test('chunks split at word boundaries and join back exactly', () => {
  const text = 'Turn 2. You said: "a  b". Earlier you said: "c".';
  const chunks = splitIntoChunks(text);
  assert.equal(chunks.length, 3);
  assert.equal(chunks.join(''), text);
  assert.deepEqual(splitIntoChunks('one'), ['one']);
  assert.equal(countWords('  a b\nc '), 3);
});
