import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planAgentTurn, totalUsage, type AgentTool } from './deterministic-agent.js';

const echo: AgentTool<{ text: string }> = { name: 'echo', input: (text) => ({ text }), result: (text) => text };

test('a first turn quotes the message and costs by word count', () => {
  const plan = planAgentTurn({ text: 'hello there', earlierTexts: [], contextWords: 0 }, echo);
  assert.equal(plan.turn, 1);
  assert.equal(plan.toolCall, undefined);
  assert.equal(plan.reply, 'Turn 1. You said: "hello there".');
  // 40 prompt tokens + 2 per word of the message; 2 per word of the 6-word reply.
  assert.deepEqual(plan.usage, { inputTokens: 44, outputTokens: 12 });
  assert.equal(plan.durationMs, 400 + 12 * 10);
  assert.equal(plan.chunks.join(''), plan.reply);
});

test('a later turn quotes the previous message and reads the whole context', () => {
  const plan = planAgentTurn({ text: 'third', earlierTexts: ['first', 'second'], contextWords: 20 }, echo);
  assert.equal(plan.reply, 'Turn 3. You said: "third". Earlier you said: "second".');
  assert.equal(plan.usage.inputTokens, 40 + 2 * 20 + 2);
});

test('"tool" or "tools" as a word, in any case, calls the tool first; "toolbox" does not', () => {
  assert.equal(planAgentTurn({ text: 'open the toolbox', earlierTexts: [], contextWords: 0 }, echo).toolCall, undefined);
  for (const text of ['use the Tool please', 'which TOOLS do you have']) {
    const plan = planAgentTurn({ text, earlierTexts: [], contextWords: 0 }, echo);
    assert.deepEqual(plan.toolCall && [plan.toolCall.name, plan.toolCall.input, plan.toolCall.result], ['echo', { text }, text], text);
    assert.ok(plan.reply.endsWith(`The echo tool returned: ${text}`), plan.reply);
  }
});

test('the tool call costs its JSON arguments and takes the tool run; the reply reads the call and the result', () => {
  const plan = planAgentTurn({ text: 'a tool', earlierTexts: [], contextWords: 0 }, echo);
  const call = plan.toolCall!;
  // {"text":"a tool"} is 2 words; the prompt is 40 + 2 * 2.
  assert.deepEqual(call.usage, { inputTokens: 44, outputTokens: 4 });
  assert.equal(call.durationMs, 400 + 4 * 10 + 250);
  assert.equal(plan.usage.inputTokens, 44 + 4 + 2 * 2);
  assert.deepEqual(totalUsage(plan), { inputTokens: call.usage.inputTokens + plan.usage.inputTokens, outputTokens: 4 + plan.usage.outputTokens });
});

test('"approval" with a tool makes the call wait for a person; planned again with the answer, it runs or is not run', () => {
  const text = 'use a tool, with approval';
  assert.equal(planAgentTurn({ text: 'approval without one', earlierTexts: [], contextWords: 0 }, echo).toolCall, undefined, 'no tool, nothing to approve');
  assert.equal(planAgentTurn({ text: 'just a tool', earlierTexts: [], contextWords: 0 }, echo).toolCall?.needsApproval, false);
  const asked = planAgentTurn({ text, earlierTexts: [], contextWords: 0 }, echo);
  assert.equal(asked.toolCall?.needsApproval, true);
  const allowed = planAgentTurn({ text, earlierTexts: [], contextWords: 0 }, echo, { decision: 'allow' });
  assert.equal(allowed.toolCall?.denied, undefined);
  assert.equal(allowed.reply, asked.reply, 'an allowed call goes on as if it never waited');
  const denied = planAgentTurn({ text, earlierTexts: [], contextWords: 0 }, echo, { decision: 'deny', message: 'not on a Friday' });
  assert.equal(denied.toolCall?.denied, 'not on a Friday');
  assert.ok(denied.reply.endsWith('The echo tool was not run: not on a Friday'), denied.reply);
  assert.equal(denied.toolCall?.durationMs, 400 + denied.toolCall?.usage.outputTokens * 10, 'a denied tool takes no run time');
});
