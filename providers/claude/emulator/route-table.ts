import type { EmulatorClock, EmulatorLogger, EmulatorRoute, EmulatorStats } from '#libs/emulator-kit';
import type { SessionLifecycle } from './session-lifecycle.js';
import type { SessionStore } from './session-store.js';
import type { SetupRegistry } from './setup-registry.js';
import type { TurnRunner } from './turn-runner.js';

/** Everything a route handler may use. */
export interface EmulatorServices {
  clock: EmulatorClock;
  stats: EmulatorStats;
  logger: EmulatorLogger;
  setup: SetupRegistry;
  store: SessionStore;
  runner: TurnRunner;
  lifecycle: SessionLifecycle;
}

/** A Managed Agents operation: a streaming one writes its own response, any other returns the JSON body of its 200. */
export interface Route extends EmulatorRoute {
  method: 'GET' | 'POST' | 'DELETE';
}
