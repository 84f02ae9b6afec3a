import type { ClaudeEmulator } from '#providers/claude';
import type { ConformanceFixture } from './conformance-fixture.js';

export const claudeFixture: ConformanceFixture = {
  provider: 'claude',
  controls(emulator) {
    const claude = emulator as ClaudeEmulator;
    return {
      // retry-after 0: the broker's own backoff applies, keeping the test fast.
      throttleTurns: (times) => claude.faults.add('events.send', { kind: 'status', status: 429, times, headers: { 'retry-after': '0' } }),
      cutNextTurn: (afterEvents) => claude.faults.add('events.stream', { kind: 'truncate', afterEvents }),
      delayNextTurn: (ms) => claude.faults.add('events.stream', { kind: 'delay', ms }),
      loseSession: (id) => claude.expireSession(id),
      turnsRun: () => claude.stats.get('turns.run'),
    };
  },
};
