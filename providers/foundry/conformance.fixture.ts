import { randomUUID } from 'node:crypto';
import type OpenAI from 'openai';
import { FoundryClients, type FoundryEmulator, type FoundryTarget } from './index.js';
import type { ConformanceFixture } from '#libs/provider-kit';
import { transportConnectionsStat } from '#libs/emulator-kit';

const benchToken = { getToken: async () => ({ token: 'bench', expiresOnTimestamp: Date.now() + 3600_000 }) };

export const foundryFixture: ConformanceFixture<'foundry'> = {
  provider: 'foundry',
  controls(emulator) {
    const foundry = emulator as FoundryEmulator;
    return {
      // retry-after 0: the broker's own backoff applies, keeping the test fast.
      throttleTurns: (times) => foundry.faults.add('responses.create', { kind: 'status', status: 429, times, headers: { 'retry-after': '0' } }),
      refuseTurns: (times, status) => foundry.faults.add('responses.create', { kind: 'status', status, times }),
      clearFaults: () => foundry.faults.clear(),
      cutNextTurn: (afterEvents) => foundry.faults.add('responses.create', { kind: 'truncate', afterEvents }),
      delayNextTurn: (ms) => foundry.faults.add('responses.create', { kind: 'delay', ms }),
      loseSession: (id) => foundry.expireSession(foundry.demoTarget.agentName, id),
      turnsRun: () => foundry.stats.get('turns.run'),
      connections: { opened: () => foundry.stats.get(transportConnectionsStat), perTurn: 0 },
    };
  },
  // MCP tools whose server requires approval: `mcp_approval_request` items, answered by `mcp_approval_response` (README "Tool approvals").
  approvals: { denialMessageReachesAgent: true },
  benchTarget: { projectEndpoint: 'https://switchboard-emulator.services.ai.azure.com/api/projects/demo', agentName: 'switchboard-demo', agentVersion: '1' },
  async direct(emulator, target) {
    const { projectEndpoint, agentName, agentVersion } = target as FoundryTarget;
    const clients = new FoundryClients(benchToken, { url: emulator.url, caCertificate: emulator.caCertificate! });
    const agents = clients.project(projectEndpoint, undefined).agents;
    const openai = clients.openai(projectEndpoint, agentName, undefined);
    const sessionId = `bench-${randomUUID()}`;
    await agents.createSession(agentName, { type: 'version_ref', agent_version: agentVersion }, { agentSessionId: sessionId });
    const conversation = await openai.conversations.create({});
    return {
      async turn(input) {
        const params: OpenAI.Responses.ResponseCreateParamsStreaming & { agent_session_id: string } = {
          input,
          conversation: conversation.id,
          stream: true,
          agent_session_id: sessionId,
        };
        const sent = performance.now();
        const stream = await openai.responses.create(params, { maxRetries: 0 });
        let firstEventMs = -1;
        for await (const event of stream) {
          if (firstEventMs < 0 && event.type === 'response.output_text.delta') firstEventMs = performance.now() - sent;
          if (event.type === 'response.completed') break;
        }
        return { firstEventMs };
      },
      async close() {
        await agents.deleteSession(agentName, sessionId);
        clients.close();
      },
    };
  },
};
