import type { AppConfig } from '#libs/config';
import type { ProviderId, RuntimeAdapter, RuntimeDescriptor } from '#libs/runtime-spec';
import { ClaudeAdapter, startClaudeEmulator } from '#providers/claude';
import { logger } from '../logging/logger.js';

/** A registered runtime and what must be closed with it (its emulator). */
interface Registration {
  adapter: RuntimeAdapter;
  close(): Promise<void>;
  /** The emulator's control handle, when emulated (tests drive faults through it). */
  emulator?: unknown;
  /** A target that works out of the box (the emulator's ready-made agent), for the demo seed and tests. */
  demoTarget?: unknown;
}

/**
 * The runtimes this broker can bind sessions to, registered in one place
 * from the validated config: live when the provider's credentials are
 * configured, else (with SWITCHBOARD_EMULATORS=auto) against the provider's
 * emulator started in-process on loopback.
 */
export class RuntimeRegistry {
  private constructor(private readonly registrations: Map<ProviderId, Registration>) {}

  static async start(config: AppConfig): Promise<RuntimeRegistry> {
    const registrations = new Map<ProviderId, Registration>();
    const log = logger.child({ component: 'runtime' });
    const common = { callTimeoutMs: config.runtimes.callTimeoutMs, log };
    try {
      if (config.runtimes.claude) {
        registrations.set('claude', {
          adapter: new ClaudeAdapter({ ...common, apiKey: config.runtimes.claude.apiKey, baseUrl: config.runtimes.claude.baseUrl, mode: 'live' }),
          close: async () => undefined,
        });
      } else if (config.runtimes.emulators === 'auto') {
        const emulator = await startClaudeEmulator({});
        registrations.set('claude', {
          adapter: new ClaudeAdapter({ ...common, apiKey: 'sk-ant-emulated', baseUrl: emulator.url, mode: 'emulated' }),
          close: () => emulator.stop(),
          emulator,
          demoTarget: emulator.demoTarget,
        });
        logger.info({ provider: 'claude', url: emulator.url }, `Claude Managed Agents is emulated at ${emulator.url} (no ANTHROPIC_API_KEY)`);
      }
      return new RuntimeRegistry(registrations);
    } catch (error) {
      await Promise.allSettled([...registrations.values()].map((registration) => registration.close()));
      throw error;
    }
  }

  get(id: string): RuntimeAdapter | undefined {
    return this.registrations.get(id as ProviderId)?.adapter;
  }

  ids(): ProviderId[] {
    return [...this.registrations.keys()];
  }

  descriptors(): RuntimeDescriptor[] {
    return [...this.registrations.values()].map((registration) => registration.adapter.descriptor);
  }

  /** Ready-made targets of the emulated runtimes, keyed by provider. */
  demoTargets(): Partial<Record<ProviderId, unknown>> {
    return Object.fromEntries([...this.registrations].filter(([, registration]) => registration.demoTarget).map(([id, registration]) => [id, registration.demoTarget]));
  }

  /** The in-process emulator behind a runtime, if it is emulated. */
  emulator<T>(id: ProviderId): T | undefined {
    return this.registrations.get(id)?.emulator as T | undefined;
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.registrations.values()].map((registration) => registration.close()));
  }
}
