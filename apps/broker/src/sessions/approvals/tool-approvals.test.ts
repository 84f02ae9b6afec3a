import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { AppError } from '#libs/errors';
import { decisionsFor, toProviderDecisions } from './tool-approvals.js';

const waiting = [
  { toolCallId: 'call_a', name: 'bash', turnId: 'trn_1' },
  { toolCallId: 'call_b', name: 'refund', turnId: 'trn_1' },
];

describe('the decisions a turn carries', () => {
  test('the client decides some calls; the others are denied for it, after its own', () => {
    const decisions = decisionsFor(waiting, [{ toolCallId: 'call_b', decision: 'allow' }]);
    assert.deepEqual(
      decisions.map(({ toolCallId, decision, implicit, name }) => ({ toolCallId, decision, implicit, name })),
      [
        { toolCallId: 'call_b', decision: 'allow', implicit: false, name: 'refund' },
        { toolCallId: 'call_a', decision: 'deny', implicit: true, name: 'bash' },
      ],
    );
    assert.deepEqual(toProviderDecisions(decisions)[0], { toolCallId: 'call_b', decision: 'allow' });
  });

  test('nothing waiting and nothing decided: no decisions', () => {
    assert.deepEqual(decisionsFor([], undefined), []);
  });

  test('an id that is not waiting, a call decided twice, or a message on an allow is a 400', () => {
    const refused = (run: () => unknown) =>
      assert.throws(run, (error: unknown) => error instanceof AppError && error.status === 400 && error.code === 'invalid_request');
    refused(() => decisionsFor(waiting, [{ toolCallId: 'call_z', decision: 'allow' }]));
    refused(() => decisionsFor([], [{ toolCallId: 'call_a', decision: 'deny' }]));
    refused(() => decisionsFor(waiting, [{ toolCallId: 'call_a', decision: 'deny' }, { toolCallId: 'call_a', decision: 'allow' }]));
    refused(() => decisionsFor(waiting, [{ toolCallId: 'call_a', decision: 'allow', message: 'why not' }]));
  });

  test("a denial's message goes to the provider", () => {
    assert.deepEqual(toProviderDecisions(decisionsFor(waiting.slice(0, 1), [{ toolCallId: 'call_a', decision: 'deny', message: 'not today' }])), [
      { toolCallId: 'call_a', decision: 'deny', message: 'not today' },
    ]);
  });
});
