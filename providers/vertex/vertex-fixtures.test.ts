import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { Server, ServerCredentials, type ServerWritableStream } from '@grpc/grpc-js';
import type { RuntimeEvent, SessionHandle } from '#libs/runtime-spec';
import { serviceDefinition } from './emulator/proto-definitions.js';
import { fromProtoStruct } from './vertex-struct.js';
import { VertexAdapter } from './vertex-adapter.js';

/** Wire fixtures live beside the sources (not compiled): `npm test` runs from the repository root. See fixtures/SOURCES.md. */
const fixture = (name: string) => readFileSync(path.resolve('providers/vertex/fixtures', name), 'utf8');

const engine = 'projects/fixture-project/locations/us-central1/reasoningEngines/1234567890123456789';

/** How the replaying server cuts the fixture into `HttpBody` messages. */
type Chunking = 'line' | { bytes: number };

describe('Vertex wire fixtures replayed through the gRPC SDK and the adapter (providers/vertex/fixtures)', () => {
  // A gRPC server speaking only StreamQueryReasoningEngine (v1, the version the adapter's SDK client uses), from the SDK's own protos.
  const server = new Server();
  const requests: unknown[] = [];
  let body = '';
  let chunking: Chunking = 'line';
  server.addService(serviceDefinition('google.cloud.aiplatform.v1.ReasoningEngineExecutionService'), {
    StreamQueryReasoningEngine: (call: ServerWritableStream<unknown, unknown>) => {
      requests.push(call.request);
      const bytes = Buffer.from(body);
      const pieces: Buffer[] = [];
      if (chunking === 'line') for (const line of body.split(/(?<=\n)/)) pieces.push(Buffer.from(line));
      else for (let at = 0; at < bytes.length; at += chunking.bytes) pieces.push(bytes.subarray(at, at + chunking.bytes));
      for (const data of pieces) call.write({ content_type: 'application/json', data });
      call.end();
    },
  });
  // Any GCE metadata lookup (what GoogleAuth would do without credentials) lands here and fails the test.
  let metadataHits = 0;
  const metadataServer: HttpServer = createServer((_req, res) => {
    metadataHits++;
    res.writeHead(404).end();
  });
  let adapter: VertexAdapter;

  before(async () => {
    await new Promise<void>((resolve) => metadataServer.listen(0, '127.0.0.1', resolve));
    process.env.GCE_METADATA_HOST = `127.0.0.1:${(metadataServer.address() as AddressInfo).port}`;
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
    );
    adapter = new VertexAdapter({ endpoint: { kind: 'emulator', host: '127.0.0.1', port }, mode: 'emulated', callTimeoutMs: 3_000, turnTimeoutMs: 10_000, sdkDefaultDeadlineMs: 3_000 });
  });
  after(async () => {
    await adapter.close();
    server.forceShutdown();
    metadataServer.close();
  });

  const session = (): SessionHandle => ({
    binding: {
      sessionId: 'ses_fixture',
      tenantId: 'ten_test',
      userId: 'alice',
      agent: { id: 'agt_1', name: 'agent', instructions: null },
      target: { reasoningEngine: engine },
      metadata: {},
      idleTimeoutSeconds: 900,
      maxLifetimeSeconds: 8 * 3600,
    },
    providerSessionId: `${engine}/sessions/sb-ses_fixture`,
    state: { userId: 'ten_test:fixture' },
  });

  const run = async () => {
    const events: RuntimeEvent[] = [];
    for await (const event of adapter.runTurn({ session: session(), turnId: 'trn_1', input: [{ type: 'text', text: 'whats the weather in new york' }], signal: AbortSignal.timeout(10_000) })) {
      events.push(event);
    }
    return events;
  };

  const report = 'The weather in New York is sunny with a temperature of 25 degrees Celsius (41 degrees Fahrenheit).';
  const expected: RuntimeEvent[] = [
    { type: 'tool.call', id: 'af-f1906423-a531-4ecf-a1ef-723b05e85321', name: 'get_weather', input: { city: 'new york' } },
    { type: 'tool.result', id: 'af-f1906423-a531-4ecf-a1ef-723b05e85321', output: { status: 'success', report }, isError: false },
    { type: 'message.completed', content: [{ type: 'text', text: report }] },
  ];

  for (const cut of ['line', { bytes: 97 }] as const) {
    test(`the ADK docs' remote weather turn (complete events only, no usage), one HttpBody per ${cut === 'line' ? 'event' : '97 bytes'}: the tool call, its result, the answer, the end`, async () => {
      body = fixture('adk-docs-weather-remote.jsonl');
      chunking = cut;
      const events = await run();
      assert.deepEqual(events.slice(0, -1), expected);
      const end = events.at(-1);
      assert.equal(end?.type, 'turn.end');
      // The docs' events carry no usage_metadata: no tokens are reported, and the turn still ends.
      assert.equal(end.type === 'turn.end' && end.usage?.inputTokens, 0);
      assert.equal(end.type === 'turn.end' && end.usage?.outputTokens, 0);
      assert.equal(metadataHits, 0);
    });
  }

  test('what the adapter asked for: async_stream_query with the session id and SSE streaming', () => {
    assert.ok(requests.length > 0);
    const request = requests[0] as { name: string; class_method: string; input: Parameters<typeof fromProtoStruct>[0] };
    assert.equal(request.name, engine);
    assert.equal(request.class_method, 'async_stream_query');
    assert.deepEqual(fromProtoStruct(request.input), {
      user_id: 'ten_test:fixture',
      session_id: 'sb-ses_fixture',
      message: 'whats the weather in new york',
      run_config: { streaming_mode: 'sse' },
    });
  });
});
