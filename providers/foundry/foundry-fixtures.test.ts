import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { RuntimeEvent, SessionHandle } from '#libs/runtime-spec';
import { FoundryAdapter } from './foundry-adapter.js';
import { createEmulatorCertificates } from './emulator/tls/test-certificates.js';

/** Wire fixtures live beside the sources (not compiled): `npm test` runs from the repository root. See fixtures/SOURCES.md. */
const fixture = (name: string) => readFileSync(path.resolve('providers/foundry/fixtures', name), 'utf8');

const credential = { getToken: async () => ({ token: 'unit', expiresOnTimestamp: Date.now() + 3600_000 }) };

describe('Foundry wire fixtures replayed through the openai client and the adapter (providers/foundry/fixtures)', () => {
  // HTTPS, as the agent endpoint is: Azure's bearer policy sends no token over http.
  const certificates = createEmulatorCertificates(['127.0.0.1']);
  const requests: string[] = [];
  let body = '';
  const server = createServer({ key: certificates.privateKey, cert: certificates.certificate }, (req, res) => {
    const url = new URL(req.url ?? '/', 'https://fixture');
    requests.push(`${req.method} ${url.pathname}`);
    if (req.method === 'POST' && url.pathname.endsWith('/protocols/openai/responses')) {
      req.resume();
      req.on('end', () => res.writeHead(200, { 'content-type': 'text/event-stream' }).end(body));
      return;
    }
    res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: 'not_found', message: 'not in the fixture', type: 'invalid_request_error' } }));
  });
  let adapter: FoundryAdapter;

  before(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    adapter = new FoundryAdapter({ mode: 'emulated', credential, emulator: { url: `https://127.0.0.1:${port}`, caCertificate: certificates.caCertificate }, callTimeoutMs: 5000 });
  });
  after(() => {
    adapter.close();
    server.close();
  });

  const session = (): SessionHandle => ({
    binding: {
      sessionId: 'ses_fixture',
      tenantId: 'ten_1',
      userId: 'u-1',
      agent: { id: 'agt_1', name: 'a', instructions: null },
      target: { projectEndpoint: 'https://fixture.services.ai.azure.com/api/projects/demo', agentName: 'fixture-agent', agentVersion: '1' },
      metadata: {},
      idleTimeoutSeconds: 900,
      maxLifetimeSeconds: 3600,
    },
    providerSessionId: 'ses_fixture',
    state: { conversationId: 'conv_fixture', size: null },
  });

  test("openai-node's recorded text stream (ending in [DONE]): deltas, the finished message, and the end with its tokens", async () => {
    body = fixture('openai-node-text-stream.sse');
    const events: RuntimeEvent[] = [];
    for await (const event of adapter.runTurn({ session: session(), turnId: 'trn_1', input: [{ type: 'text', text: 'hi' }], signal: AbortSignal.timeout(10_000) })) events.push(event);

    assert.deepEqual(events, [
      { type: 'message.delta', text: 'Hello ' },
      { type: 'message.delta', text: 'world' },
      { type: 'message.completed', content: [{ type: 'text', text: 'Hello world' }] },
      { type: 'turn.end', usage: { inputTokens: 10, outputTokens: 2 } },
    ]);
    assert.deepEqual(requests, ['POST /api/projects/demo/agents/fixture-agent/endpoint/protocols/openai/responses']);
  });

  test("openai-python's response cut by max_output_tokens: the text so far, then an in-band turn.error (not a truncated stream)", async () => {
    body = fixture('openai-python-incomplete-stream.sse');
    const events: RuntimeEvent[] = [];
    for await (const event of adapter.runTurn({ session: session(), turnId: 'trn_2', input: [{ type: 'text', text: 'hi' }], signal: AbortSignal.timeout(10_000) })) events.push(event);

    assert.deepEqual(events, [
      { type: 'message.delta', text: '{"val' },
      { type: 'turn.error', code: 'provider_incomplete', message: 'the response is incomplete: max_output_tokens' },
    ]);
  });
});
