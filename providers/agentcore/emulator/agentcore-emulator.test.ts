import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { BedrockAgentCoreClient, BedrockAgentCoreServiceException, InvokeAgentRuntimeCommand, StopRuntimeSessionCommand } from '@aws-sdk/client-bedrock-agentcore';
import { startAgentCoreEmulator, type AgentCoreEmulator } from './agentcore-emulator.js';

/** The emulator's wire, through the real SDK (and raw fetch for what the SDK will not send). */
describe('AgentCore emulator wire', () => {
  let emulator: AgentCoreEmulator;
  let client: BedrockAgentCoreClient;

  before(async () => {
    emulator = await startAgentCoreEmulator();
    client = new BedrockAgentCoreClient({ region: 'us-east-1', endpoint: emulator.url, credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'x' }, maxAttempts: 1 });
  });
  after(async () => {
    client.destroy();
    await emulator.stop();
  });

  const sessionId = () => `wire-test-${randomUUID()}`;
  const invoke = (overrides: Partial<ConstructorParameters<typeof InvokeAgentRuntimeCommand>[0]> = {}, prompt = 'hello') =>
    client.send(
      new InvokeAgentRuntimeCommand({
        agentRuntimeArn: emulator.demoTarget.agentRuntimeArn,
        runtimeSessionId: sessionId(),
        contentType: 'application/json',
        accept: 'application/json',
        payload: JSON.stringify({ prompt }),
        ...overrides,
      }),
    );
  const rejection = async (work: Promise<unknown>) => {
    const error = await work.then(() => assert.fail('expected an error'), (caught: unknown) => caught);
    assert.ok(error instanceof BedrockAgentCoreServiceException, String(error));
    return error as BedrockAgentCoreServiceException & { reason?: string; fieldList?: Array<{ name: string }> };
  };

  test('echoes the session id and a request id; answers JSON when asked for JSON', async () => {
    const id = sessionId();
    const output = await invoke({ runtimeSessionId: id });
    assert.equal(output.runtimeSessionId, id);
    assert.ok(output.$metadata.requestId);
    assert.equal(output.contentType, 'application/json');
    assert.deepEqual(JSON.parse(await output.response!.transformToString()), { result: { role: 'assistant', content: [{ text: 'Turn 1. You said: "hello".' }] } });
  });

  test('validates like the service: session id length, ARN, qualifier; unknown runtime or endpoint is 404', async () => {
    const short = await rejection(invoke({ runtimeSessionId: 'short' }));
    assert.deepEqual([short.name, short.$metadata.httpStatusCode, short.reason, short.fieldList?.[0].name], ['ValidationException', 400, 'FieldValidationFailed', 'runtimeSessionId']);
    assert.equal((await rejection(invoke({ runtimeSessionId: 'x'.repeat(257) }))).$metadata.httpStatusCode, 400);
    assert.equal((await rejection(invoke({ agentRuntimeArn: 'arn:aws:bedrock-agentcore:us-east-1:123456789012:agent/nope' }))).name, 'ValidationException');
    assert.equal((await rejection(invoke({ qualifier: 'not-valid!' }))).name, 'ValidationException');
    assert.equal((await rejection(invoke({ qualifier: 'PROD' }))).name, 'ResourceNotFoundException');
    const unknown = emulator.demoTarget.agentRuntimeArn.replace('SbDemo0001', 'Unknown001');
    assert.equal((await rejection(invoke({ agentRuntimeArn: unknown }))).$metadata.httpStatusCode, 404);
    const container = await rejection(invoke({ payload: 'not json' }));
    assert.deepEqual([container.name, container.$metadata.httpStatusCode], ['RuntimeClientError', 424]);
  });

  test('the ARN is one percent-encoded path segment; a runtime id with accountId works too', async () => {
    const path = `/runtimes/${encodeURIComponent(emulator.demoTarget.agentRuntimeArn)}/invocations`;
    const headers = { authorization: 'AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/bedrock-agentcore/aws4_request', 'x-amzn-bedrock-agentcore-runtime-session-id': sessionId(), 'content-type': 'application/json' };
    const byArn = await fetch(`${emulator.url}${path}`, { method: 'POST', headers, body: '{"prompt":"hi"}' });
    assert.equal(byArn.status, 200, await byArn.text());
    const byId = await fetch(`${emulator.url}/runtimes/switchboard_demo-SbDemo0001/invocations?accountId=123456789012`, { method: 'POST', headers, body: '{"prompt":"hi"}' });
    assert.equal(byId.status, 200, await byId.text());
    const { authorization: _, ...unsigned } = headers;
    const anonymous = await fetch(`${emulator.url}${path}`, { method: 'POST', headers: unsigned, body: '{"prompt":"hi"}' });
    assert.equal(anonymous.status, 403);
    assert.equal(anonymous.headers.get('x-amzn-errortype'), 'MissingAuthenticationTokenException');
  });

  test('a microVM dies at its idle timeout and at its lifetime; the same id then silently boots a fresh one', async () => {
    const runtime = emulator.addRuntime({ name: 'short_lived', dialect: 'text', idleTimeoutSeconds: 60, maxLifetimeSeconds: 300 });
    const id = sessionId();
    const call = (prompt: string) => invoke({ agentRuntimeArn: runtime.arn, runtimeSessionId: id }, prompt).then((output) => output.response!.transformToString());
    assert.match(await call('one'), /Turn 1/);
    emulator.clock.advance(59_000);
    assert.match(await call('two'), /Turn 2.*Earlier you said: \\"one\\"/, 'not idle long enough');
    emulator.clock.advance(60_000);
    assert.equal(emulator.hasMicroVm(id), false, 'reaped after 60 s idle');
    assert.match(await call('three'), /Turn 1\. You said: \\"three\\"/, 'a fresh microVM, no memory');
    for (let elapsed = 0; elapsed < 300; elapsed += 50) {
      emulator.clock.advance(50_000);
      if (emulator.hasMicroVm(id)) await call('keep busy');
    }
    assert.equal(emulator.hasMicroVm(id), false, 'reaped at its lifetime even though never idle');
    assert.ok(emulator.stats.get('microvm.reaped.idle_timeout') >= 1 && emulator.stats.get('microvm.reaped.max_lifetime') >= 1);
  });

  test('StopRuntimeSession ends the microVM; an unknown or stopped session is 404', async () => {
    const id = sessionId();
    await (await invoke({ runtimeSessionId: id })).response!.transformToString();
    const stop = () => client.send(new StopRuntimeSessionCommand({ agentRuntimeArn: emulator.demoTarget.agentRuntimeArn, runtimeSessionId: id, qualifier: 'DEFAULT' }));
    const stopped = await stop();
    assert.deepEqual([stopped.runtimeSessionId, stopped.statusCode], [id, 200]);
    const again = await rejection(stop());
    assert.deepEqual([again.name, again.$metadata.httpStatusCode], ['ResourceNotFoundException', 404]);
  });
});
