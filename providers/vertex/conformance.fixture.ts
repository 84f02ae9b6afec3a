import { credentials } from '@grpc/grpc-js';
import { v1 } from '@google-cloud/aiplatform';
import { turnStreamCallOptions, type VertexEmulator, type VertexTarget } from './index.js';
import type { ConformanceFixture } from '#libs/provider-kit';

export const vertexFixture: ConformanceFixture<'vertex'> = {
  provider: 'vertex',
  controls(emulator) {
    const vertex = emulator as VertexEmulator;
    return {
      // RESOURCE_EXHAUSTED before response metadata: the case the SDK would silently replay.
      throttleTurns: (times) => vertex.faults.add('engine.streamQuery', { kind: 'status', status: 429, times }),
      refuseTurns: (times, status) => vertex.faults.add('engine.streamQuery', { kind: 'status', status, times }),
      clearFaults: () => vertex.faults.clear(),
      // An error status mid-stream; the reset and clean-end variants are covered by the adapter's own tests.
      cutNextTurn: (afterEvents) => vertex.faults.add('engine.streamQuery', { kind: 'truncate', afterEvents }),
      delayNextTurn: (ms) => vertex.faults.add('engine.streamQuery', { kind: 'delay', ms }),
      loseSession: (name) => vertex.expireSession(name),
      turnsRun: () => vertex.stats.get('turns.run'),
      connections: {
        unsupported: "grpc-js's server does not report the connections it accepts; the adapter's clients are made once per target and identity (vertex-clients.ts), each one HTTP/2 channel",
      },
    };
  },
  // ADK tool confirmations (`require_confirmation`): answered yes or no, so a denial's message does not reach the agent (README "Tool approvals").
  approvals: { denialMessageReachesAgent: false },
  benchTarget: { reasoningEngine: 'projects/switchboard-demo/locations/us-central1/reasoningEngines/4242424242424242424' },
  async direct(emulator, target) {
    const { reasoningEngine } = target as VertexTarget;
    const options = { apiEndpoint: emulator.host, port: emulator.port, sslCreds: credentials.createInsecure(), universeDomain: 'googleapis.com' };
    const sessions = new v1.SessionServiceClient(options);
    const executions = new v1.ReasoningEngineExecutionServiceClient(options);
    const [operation] = await sessions.createSession({ parent: reasoningEngine, session: { userId: 'bench-user' } });
    const [session] = await operation.promise();
    const sessionId = session.name!.slice(session.name!.lastIndexOf('/') + 1);
    return {
      async turn(input) {
        const sent = performance.now();
        let firstEventMs = -1;
        const stream = executions.streamQueryReasoningEngine(
          {
            name: reasoningEngine,
            classMethod: 'async_stream_query',
            input: { fields: { user_id: { stringValue: 'bench-user' }, session_id: { stringValue: sessionId }, message: { stringValue: input } } },
          },
          { ...turnStreamCallOptions, timeout: 60_000 },
        );
        for await (const message of stream as AsyncIterable<unknown>) {
          if (firstEventMs < 0 && message) firstEventMs = performance.now() - sent;
        }
        return { firstEventMs };
      },
      close: async () => {
        const [deleted] = await sessions.deleteSession({ name: session.name });
        await deleted.promise();
        await Promise.all([sessions.close(), executions.close()]);
      },
    };
  },
};
