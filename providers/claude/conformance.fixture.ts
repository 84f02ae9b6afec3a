import Anthropic from '@anthropic-ai/sdk';
import type { ClaudeEmulator, ClaudeTarget } from './index.js';
import type { ConformanceFixture } from '#libs/provider-kit';
import { transportConnectionsStat } from '#libs/emulator-kit';

export const claudeFixture: ConformanceFixture<'claude'> = {
  provider: 'claude',
  controls(emulator) {
    const claude = emulator as ClaudeEmulator;
    return {
      // retry-after 0: the broker's own backoff applies, keeping the test fast.
      throttleTurns: (times) => claude.faults.add('events.send', { kind: 'status', status: 429, times, headers: { 'retry-after': '0' } }),
      refuseTurns: (times, status) => claude.faults.add('events.send', { kind: 'status', status, times }),
      clearFaults: () => claude.faults.clear(),
      cutNextTurn: (afterEvents) => claude.faults.add('events.stream', { kind: 'truncate', afterEvents }),
      delayNextTurn: (ms) => claude.faults.add('events.stream', { kind: 'delay', ms }),
      loseSession: (id) => claude.expireSession(id),
      turnsRun: () => claude.stats.get('turns.run'),
      connections: { opened: () => claude.stats.get(transportConnectionsStat), perTurn: {
          count: 1,
          why: 'a turn reads the session event stream, which the service never ends: closing it when the turn is over closes its HTTP/1.1 connection (the event POSTs reuse theirs)',
        } },
    };
  },
  // MCP toolsets default to `always_ask`: the call waits for a `user.tool_confirmation` (README "Tool approvals").
  approvals: { denialMessageReachesAgent: true },
  benchTarget: { agentId: 'agent_011CSwitchboardDemoAgent', environmentId: 'env_011CSwitchboardDemoEnvironment' },
  async direct(emulator, target) {
    const { agentId, environmentId } = target as ClaudeTarget;
    const client = new Anthropic({ apiKey: 'sk-ant-bench', baseURL: emulator.url, maxRetries: 0 });
    const session = await client.beta.sessions.create({ agent: agentId, environment_id: environmentId });
    return {
      async turn(input) {
        // From before the stream opens: the broker's figure includes that call too.
        const sent = performance.now();
        const stream = await client.beta.sessions.events.stream(session.id, { event_deltas: ['agent.message'] });
        await client.beta.sessions.events.send(session.id, { events: [{ type: 'user.message', content: [{ type: 'text', text: input }] }] });
        let firstEventMs = -1;
        for await (const event of stream) {
          if (firstEventMs < 0 && event.type !== 'user.message') firstEventMs = performance.now() - sent;
          if (event.type === 'session.status_idle') break;
        }
        return { firstEventMs };
      },
      close: async () => {
        await client.beta.sessions.archive(session.id);
      },
    };
  },
};
