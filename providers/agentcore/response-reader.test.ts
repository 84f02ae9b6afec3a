import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { responseCodecs, type CodecStep } from './codecs/index.js';
import { readResponseBody, type BodyStep } from './response-reader.js';

/** Wire fixtures live beside the sources (not compiled): `npm test` runs from the repository root. */
const fixture = (name: string) => readFileSync(path.resolve('providers/agentcore/fixtures', name), 'utf8');

/** A body delivered in uneven pieces, as sockets do, split inside lines and inside multi-byte characters. */
async function* pieces(text: string, size = 37): AsyncIterable<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size);
}

async function* brokenOff(text: string): AsyncIterable<Uint8Array> {
  yield* pieces(text.slice(0, text.length / 2));
  throw Object.assign(new Error('aborted'), { code: 'ECONNRESET' });
}

async function read(body: AsyncIterable<Uint8Array>, codec: keyof typeof responseCodecs, contentType = 'text/event-stream'): Promise<BodyStep[]> {
  const steps: BodyStep[] = [];
  for await (const step of readResponseBody(body, contentType, responseCodecs[codec].startTurn())) steps.push(step);
  return steps;
}

const kinds = (steps: BodyStep[]) => steps.filter((step) => step.kind !== 'ignore').map((step) => (step.kind === 'emit' ? step.event.type : step.kind));
const deltas = (steps: BodyStep[]) => steps.flatMap((step) => (step.kind === 'emit' && step.event.type === 'message.delta' ? [step.event.text] : [])).join('');
const completedText = (steps: BodyStep[]) =>
  steps.flatMap((step: CodecStep | BodyStep) => (step.kind === 'emit' && step.event.type === 'message.completed' ? [step.event.content[0].text] : []));

describe('AgentCore response bodies as the real SDKs write them (providers/agentcore/fixtures)', () => {
  test('a stock Strands agent behind BedrockAgentCoreApp: text once, its tokens, and the repr-string result ends the turn', async () => {
    const steps = await read(pieces(fixture('strands-stream-async.sse')), 'strands');
    assert.equal(deltas(steps), 'Hello! Paris is the capital of France.');
    assert.deepEqual(completedText(steps), ['Hello! Paris is the capital of France.']);
    assert.deepEqual(
      steps.filter((step) => step.kind === 'usage'),
      [{ kind: 'usage', inputTokens: 23, outputTokens: 11 }],
    );
    assert.equal(steps.at(-1)?.kind, 'end');
    assert.equal(steps.filter((step) => step.kind === 'failed').length, 0);
  });

  test('the starter template (yield event["data"]): JSON strings, no terminator; the clean end of the body ends the turn, with either codec', async () => {
    for (const codec of ['text', 'strands'] as const) {
      const steps = await read(pieces(fixture('starter-template-text.sse')), codec);
      assert.deepEqual(kinds(steps), ['message.delta', 'message.delta', 'message.delta', 'message.delta', 'message.completed', 'end'], codec);
      assert.deepEqual(completedText(steps), ['Hello! Paris is the capital of France.'], codec);
      assert.equal(steps.filter((step) => step.kind === 'usage').length, 0, `${codec}: no tokens reported`);
    }
  });

  test('a body that breaks off is a transport failure, not an end', async () => {
    for (const name of ['strands-stream-async.sse', 'starter-template-text.sse']) {
      const seen: BodyStep[] = [];
      await assert.rejects(async () => {
        for await (const step of readResponseBody(brokenOff(fixture(name)), 'text/event-stream', responseCodecs.text.startTurn())) seen.push(step);
      }, /aborted/);
      assert.equal(seen.filter((step) => step.kind === 'end').length, 0, name);
    }
  });
});
