import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { RuntimeEvent, SessionBinding } from '#libs/runtime-spec';
import { ClaudeAdapter } from './claude-adapter.js';

/** Wire fixtures live beside the sources (not compiled): `npm test` runs from the repository root. See fixtures/SOURCES.md. */
const fixture = (name: string) => readFileSync(path.resolve('providers/claude/fixtures', name), 'utf8');

/**
 * A stand-in for api.anthropic.com that only replays fixture bytes: the
 * session's event stream (held until the message is sent, as the service
 * streams nothing of a turn before it starts), the send's answer naming the
 * echo's id, and the session read after idle.
 */
function fixtureServer(files: { stream: string; session: string; echoId: string }) {
  let releaseStream: (() => void) | undefined;
  const requests: string[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    requests.push(`${req.method} ${req.url?.split('?')[0]}`);
    const url = new URL(req.url ?? '/', 'http://fixture');
    if (req.method === 'GET' && url.pathname.endsWith('/events/stream')) {
      res.writeHead(200, { 'content-type': 'text/event-stream' }).flushHeaders();
      releaseStream = () => res.end(fixture(files.stream));
      return;
    }
    if (req.method === 'POST' && url.pathname.endsWith('/events')) {
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ data: [{ id: files.echoId, type: 'user.message' }] }));
        releaseStream?.();
      });
      return;
    }
    if (req.method === 'GET' && /^\/v1\/sessions\/[^/]+$/.test(url.pathname)) {
      res.writeHead(200, { 'content-type': 'application/json' }).end(fixture(files.session));
      return;
    }
    res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ type: 'error', error: { type: 'not_found_error', message: 'not in the fixture' } }));
  });
  return { server, requests };
}

const binding = (): SessionBinding => ({
  sessionId: 'ses_fixture',
  tenantId: 'ten_test',
  userId: 'u-1',
  agent: { id: 'agt_1', name: 'a', instructions: null },
  target: { agentId: 'agent_fixture', environmentId: 'env_fixture' },
  metadata: {},
  idleTimeoutSeconds: 900,
  maxLifetimeSeconds: 3600,
});

describe('Claude wire fixtures replayed through the SDK and the adapter (providers/claude/fixtures)', () => {
  const replay = fixtureServer({ stream: 'replayed-message-preview.sse', session: 'docs-session-usage.json', echoId: 'sevt_echo' });
  let adapter: ClaudeAdapter;

  before(async () => {
    await new Promise<void>((resolve) => replay.server.listen(0, '127.0.0.1', resolve));
    const { port } = replay.server.address() as AddressInfo;
    adapter = new ClaudeAdapter({ apiKey: 'sk-ant-test', identities: new Map(), baseUrl: `http://127.0.0.1:${port}`, mode: 'emulated', callTimeoutMs: 5000 });
  });
  after(() => replay.server.close());

  test("the SDK tests' message preview and the docs' session usage: text, the final message, the end and every usage figure the docs show", async () => {
    const events: RuntimeEvent[] = [];
    const session = { binding: binding(), providerSessionId: 'sesn_fixture', state: {} };
    for await (const event of adapter.runTurn({ session, turnId: 'trn_1', input: [{ type: 'text', text: 'hello' }], signal: AbortSignal.timeout(10_000) })) events.push(event);

    assert.deepEqual(
      events.map((event) => event.type),
      ['message.delta', 'message.completed', 'turn.end'],
    );
    assert.deepEqual(events[1], { type: 'message.completed', content: [{ type: 'text', text: 'Canonical answer' }] });
    const end = events.at(-1);
    assert.equal(end?.type, 'turn.end');
    // The docs' figures, all of them: input is only the uncached part; reads and writes come apart.
    assert.deepEqual(end.type === 'turn.end' && end.usage, {
      inputTokens: 5000,
      outputTokens: 3200,
      cacheReadInputTokens: 20000,
      cacheCreationInputTokens: 2000,
      providerActiveSeconds: undefined,
    });
    assert.deepEqual(replay.requests, ['GET /v1/sessions/sesn_fixture/events/stream', 'POST /v1/sessions/sesn_fixture/events', 'GET /v1/sessions/sesn_fixture']);
  });
});
