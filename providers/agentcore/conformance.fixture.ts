import { randomUUID } from 'node:crypto';
import { BedrockAgentCoreClient, InvokeAgentRuntimeCommand, StopRuntimeSessionCommand } from '@aws-sdk/client-bedrock-agentcore';
import type { AgentCoreEmulator, AgentCoreTarget } from './index.js';
import type { ConformanceFixture } from '#libs/provider-kit';
import { transportConnectionsStat } from '#libs/emulator-kit';

export const agentCoreFixture: ConformanceFixture<'agentcore'> = {
  provider: 'agentcore',
  // Without AWS credentials in the environment the runtime starts emulated; say so, whatever the machine has.
  env: { SWITCHBOARD_AGENTCORE_MODE: 'emulated' },
  controls(emulator) {
    const agentCore = emulator as AgentCoreEmulator;
    return {
      throttleTurns: (times) => agentCore.faults.add('invoke', { kind: 'status', status: 429, times }),
      refuseTurns: (times, status) => agentCore.faults.add('invoke', { kind: 'status', status, times }),
      clearFaults: () => agentCore.faults.clear(),
      cutNextTurn: (afterEvents) => agentCore.faults.add('invoke', { kind: 'truncate', afterEvents }),
      delayNextTurn: (ms) => agentCore.faults.add('invoke', { kind: 'delay', ms }),
      loseSession: (id) => agentCore.loseSession(id),
      turnsRun: () => agentCore.stats.get('turns.run'),
      connections: { opened: () => agentCore.stats.get(transportConnectionsStat), perTurn: 0 },
    };
  },
  approvals: {
    unsupported:
      'AgentCore Runtime has no approval concept: it streams whatever the container returns, and a tool waits for a person only if the agent code makes it (README "Tool approvals")',
  },
  benchTarget: { agentRuntimeArn: 'arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/switchboard_demo-SbDemo0001', qualifier: 'DEFAULT', responseCodec: 'strands', vcpu: 2, memoryGiB: 8 },
  async direct(emulator, target) {
    const { agentRuntimeArn, qualifier } = target as AgentCoreTarget;
    const client = new BedrockAgentCoreClient({
      region: 'us-east-1',
      endpoint: emulator.url,
      credentials: { accessKeyId: 'AKIDBENCH', secretAccessKey: 'bench' },
      maxAttempts: 1,
    });
    const runtimeSessionId = `bench-${randomUUID()}`;
    return {
      async turn(input) {
        const sent = performance.now();
        const output = await client.send(
          new InvokeAgentRuntimeCommand({
            agentRuntimeArn,
            qualifier,
            runtimeSessionId,
            contentType: 'application/json',
            accept: 'text/event-stream',
            payload: new TextEncoder().encode(JSON.stringify({ prompt: input })),
          }),
        );
        let firstEventMs = -1;
        for await (const chunk of output.response as AsyncIterable<Uint8Array>) {
          if (firstEventMs < 0 && chunk.length > 0) firstEventMs = performance.now() - sent;
        }
        return { firstEventMs };
      },
      close: async () => {
        await client.send(new StopRuntimeSessionCommand({ agentRuntimeArn, qualifier, runtimeSessionId }));
        client.destroy();
      },
    };
  },
};
