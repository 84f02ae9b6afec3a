import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '#libs/config';
import type { Database } from '#libs/persistence';
import { RuntimeError, type RuntimeAdapter, type RuntimeEvent, type TurnRequest } from '#libs/runtime-spec';
import { Metrics } from '../../metrics/metrics.js';
import { ProviderCalls } from '../../runtimes/provider-calls.js';
import { RuntimeMetrics } from '../../runtimes/runtime-metrics.js';
import { TurnExecution, type TurnToRun } from './turn-execution.js';

// Unit tests of turn execution against a scripted adapter: no database, no HTTP.
const config = loadConfig({ TURN_TIMEOUT_MS: '300', PROVIDER_RETRY_BASE_MS: '1', EVENT_CONTENT_MAX_BYTES: '16kb' });
// The metrics' database is read only at scrape time, which these tests never do.
const metrics = new RuntimeMetrics(new Metrics(), undefined as unknown as Database);
const execution = new TurnExecution(new ProviderCalls(config, metrics), metrics, config);

/** An adapter whose every attempt plays the next script: events to yield, then an optional throw, or a hang. */
function scriptedAdapter(...attempts: Array<(request: TurnRequest) => AsyncIterable<RuntimeEvent>>): RuntimeAdapter & { calls: number } {
  const adapter = {
    calls: 0,
    runTurn(request: TurnRequest) {
      const attempt = attempts[Math.min(adapter.calls, attempts.length - 1)];
      adapter.calls++;
      return attempt(request);
    },
  };
  return adapter as unknown as RuntimeAdapter & { calls: number };
}

function turn(adapter: RuntimeAdapter | undefined, stop = new AbortController().signal): TurnToRun {
  return {
    adapter,
    provider: 'claude',
    tenantId: 'ten_1',
    sessionId: 'ses_1',
    session: { binding: {} as never, providerSessionId: 'ps_1', state: {} },
    turnId: 'trn_1',
    input: [{ type: 'text', text: 'hi' }],
    stop,
  };
}

function listener() {
  const heard: string[] = [];
  return {
    heard,
    accepted: () => heard.push('accepted'),
    event: (type: string, data: Record<string, unknown>) => heard.push(`${type}:${JSON.stringify(data)}`),
  };
}

const throttled = () => new RuntimeError('throttled', 'slow down', { turnAccepted: false, retryAfterSeconds: 0 });
const done: RuntimeEvent = { type: 'turn.end', usage: { inputTokens: 3, outputTokens: 5 } };

test('a refusal before acceptance is retried; the turn runs once it gets through', async () => {
  const adapter = scriptedAdapter(
    async function* () {
      throw throttled();
    },
    async function* () {
      yield { type: 'message.completed', content: [{ type: 'text', text: 'hello' }] };
      yield done;
    },
  );
  const heard = listener();
  const outcome = await execution.execute(turn(adapter), heard);
  assert.equal(adapter.calls, 2);
  assert.equal(outcome.failure, undefined);
  assert.equal(outcome.accepted, true);
  assert.deepEqual(outcome.output, [{ type: 'text', text: 'hello' }]);
  assert.deepEqual(outcome.usage, { inputTokens: 3, outputTokens: 5 });
  assert.deepEqual(heard.heard, ['accepted', 'message.completed:{"role":"agent","content":[{"type":"text","text":"hello"}]}']);
});

test('retries stop at the configured count and the refusal is the outcome, never accepted', async () => {
  const adapter = scriptedAdapter(async function* () {
    throw throttled();
  });
  const heard = listener();
  const outcome = await execution.execute(turn(adapter), heard);
  assert.equal(adapter.calls, config.runtimes.retry.maxRetries + 1);
  assert.equal(outcome.accepted, false);
  assert.equal(outcome.failure?.cause, 'provider');
  assert.equal(outcome.failure?.cause === 'provider' && outcome.failure.error.kind, 'throttled');
  assert.deepEqual(heard.heard, []);
});

test('nothing is retried once the provider produced an event, even a retryable failure', async () => {
  const adapter = scriptedAdapter(async function* () {
    yield { type: 'message.delta', text: 'par' };
    throw new RuntimeError('unavailable', 'gone mid-turn', { turnAccepted: false });
  });
  const outcome = await execution.execute(turn(adapter), listener());
  assert.equal(adapter.calls, 1);
  assert.equal(outcome.accepted, true);
  assert.equal(outcome.failure?.cause === 'provider' && outcome.failure.error.kind, 'unavailable');
});

test('a stream that ends without an end of turn is truncated, and counts as accepted', async () => {
  const heard = listener();
  const outcome = await execution.execute(turn(scriptedAdapter(async function* () {})), heard);
  assert.equal(outcome.failure?.cause === 'provider' && outcome.failure.error.kind, 'stream_truncated');
  assert.equal(outcome.accepted, true);
  assert.deepEqual(heard.heard, ['accepted']);
});

test('an in-band failure is reported as the provider said it', async () => {
  const adapter = scriptedAdapter(async function* () {
    yield { type: 'turn.error', code: 'max_tokens', message: 'the model ran out of tokens' };
  });
  const outcome = await execution.execute(turn(adapter), listener());
  assert.deepEqual(outcome.failure, { cause: 'reported', code: 'max_tokens', message: 'the model ran out of tokens' });
});

/** Yields one delta, then waits until the turn's signal aborts and ends (as an SDK whose request was aborted may). */
async function* hangsAfterOneEvent(request: TurnRequest): AsyncIterable<RuntimeEvent> {
  yield { type: 'message.delta', text: 'thinking' };
  await new Promise((resolve) => request.signal.addEventListener('abort', resolve, { once: true }));
}

test('a turn past the turn timeout is a timeout, whatever the adapter does on abort', async () => {
  const outcome = await execution.execute(turn(scriptedAdapter(hangsAfterOneEvent)), listener());
  assert.deepEqual(outcome.failure, { cause: 'timeout' });
});

test('a session ended during the turn stops it: terminated, not a provider failure', async () => {
  const stop = new AbortController();
  setTimeout(() => stop.abort(new Error('terminated by the client')), 20);
  const outcome = await execution.execute(turn(scriptedAdapter(hangsAfterOneEvent), stop.signal), listener());
  assert.deepEqual(outcome.failure, { cause: 'terminated' });
});

test('a runtime that is not registered on this broker is a refusal, not a crash', async () => {
  const outcome = await execution.execute(turn(undefined), listener());
  assert.equal(outcome.accepted, false);
  assert.equal(outcome.failure?.cause === 'provider' && outcome.failure.error.kind, 'unavailable');
});

test('event content over the cap is cut down before anyone hears it', async () => {
  const big = 'x'.repeat(40 * 1024);
  const adapter = scriptedAdapter(async function* () {
    yield { type: 'message.completed', content: [{ type: 'text', text: big }] };
    yield done;
  });
  const heard = listener();
  const outcome = await execution.execute(turn(adapter), heard);
  assert.ok(outcome.output[0].text.length < big.length, 'the output is the capped text');
  assert.ok(heard.heard[1].length < big.length, 'the listener hears the capped event');
});
