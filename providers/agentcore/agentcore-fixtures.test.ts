import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { RuntimeEvent, SessionBinding, SessionHandle } from '#libs/runtime-spec';
import { AgentCoreAdapter } from './agentcore-adapter.js';
import type { AgentCoreTarget } from './agentcore-target.js';

/** Wire fixtures live beside the sources (not compiled): `npm test` runs from the repository root. See README "Wire fixtures". */
const fixture = (name: string) => readFileSync(path.resolve('providers/agentcore/fixtures', name), 'utf8');

const sessionHeader = 'x-amzn-bedrock-agentcore-runtime-session-id';

/**
 * The fixtures of response-reader.test.ts, this time as InvokeAgentRuntime's
 * response body over real HTTP, read by @aws-sdk/client-bedrock-agentcore and
 * the whole adapter (not only its reader).
 */
describe('AgentCore wire fixtures replayed through the AWS SDK and the adapter (providers/agentcore/fixtures)', () => {
  let body = '';
  const requests: string[] = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://fixture');
    requests.push(`${req.method} ${decodeURIComponent(url.pathname)}`);
    req.resume();
    req.on('end', () => {
      if (req.method === 'POST' && url.pathname.endsWith('/invocations')) {
        // What BedrockAgentCoreApp's streaming response looks like at the service: SSE, the session echoed, ended when the entrypoint returns.
        res.writeHead(200, { 'content-type': 'text/event-stream', [sessionHeader]: String(req.headers[sessionHeader] ?? ''), 'x-amzn-requestid': 'fixture-request' }).end(body);
        return;
      }
      res.writeHead(404, { 'content-type': 'application/json', 'x-amzn-errortype': 'ResourceNotFoundException' }).end(JSON.stringify({ message: 'not in the fixture' }));
    });
  });
  let adapter: AgentCoreAdapter;

  before(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    adapter = new AgentCoreAdapter({ connection: { kind: 'emulator', endpoint: `http://127.0.0.1:${port}` }, mode: 'emulated', callTimeoutMs: 5000 });
  });
  after(() => {
    adapter.close();
    server.close();
  });

  const target = (responseCodec: AgentCoreTarget['responseCodec']): AgentCoreTarget => ({
    agentRuntimeArn: 'arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/fixture_agent-AbCdEf1234',
    qualifier: 'DEFAULT',
    responseCodec,
  });
  let sequence = 0;
  const open = async (codec: AgentCoreTarget['responseCodec']): Promise<SessionHandle> => {
    const binding: SessionBinding = {
      sessionId: `ses_fixturetest${String(++sequence).padStart(14, '0')}`,
      tenantId: 'ten_test',
      userId: 'u-1',
      agent: { id: 'agt_1', name: 'fixture', instructions: null },
      target: target(codec),
      metadata: {},
      idleTimeoutSeconds: 600,
      maxLifetimeSeconds: 3600,
    };
    // Opening an AgentCore session calls nothing: the first invocation starts the microVM.
    return { binding, ...(await adapter.openSession(binding, AbortSignal.timeout(5000))) };
  };
  const run = async (session: SessionHandle): Promise<RuntimeEvent[]> => {
    const events: RuntimeEvent[] = [];
    for await (const event of adapter.runTurn({ session, turnId: `trn_${++sequence}`, input: [{ type: 'text', text: 'What is the capital of France?' }], signal: AbortSignal.timeout(5000) })) {
      events.push(event);
    }
    return events;
  };
  const deltas = (events: RuntimeEvent[]) => events.flatMap((event) => (event.type === 'message.delta' ? [event.text] : [])).join('');

  test('a stock Strands agent (strands codec): the text once, the final message, and the turn ends with the tokens of its metadata event', async () => {
    body = fixture('strands-stream-async.sse');
    const events = await run(await open('strands'));
    assert.equal(deltas(events), 'Hello! Paris is the capital of France.');
    assert.deepEqual(
      events.filter((event) => event.type === 'message.completed'),
      [{ type: 'message.completed', content: [{ type: 'text', text: 'Hello! Paris is the capital of France.' }] }],
    );
    const end = events.at(-1);
    assert.equal(end?.type, 'turn.end');
    assert.deepEqual(end.type === 'turn.end' && { inputTokens: end.usage?.inputTokens, outputTokens: end.usage?.outputTokens }, { inputTokens: 23, outputTokens: 11 });
    assert.equal(events.filter((event) => event.type === 'turn.error').length, 0);
  });

  test('the starter template (text codec): JSON-string chunks and no terminator; the end of the body ends the turn, no tokens reported', async () => {
    body = fixture('starter-template-text.sse');
    const events = await run(await open('text'));
    assert.deepEqual(
      events.map((event) => event.type),
      ['message.delta', 'message.delta', 'message.delta', 'message.delta', 'message.completed', 'turn.end'],
    );
    assert.equal(deltas(events), 'Hello! Paris is the capital of France.');
    const end = events.at(-1);
    assert.deepEqual(end?.type === 'turn.end' && { inputTokens: end.usage?.inputTokens, outputTokens: end.usage?.outputTokens }, { inputTokens: 0, outputTokens: 0 });
    assert.ok(requests.every((request) => request === 'POST /runtimes/arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/fixture_agent-AbCdEf1234/invocations'), requests.join(', '));
  });
});
