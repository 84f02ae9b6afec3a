import type { StartedRuntime } from '#libs/provider-kit';
import type { ProviderId, RuntimeAdapter, RuntimeDescriptor } from '#libs/runtime-spec';
import { logger } from '../logging/logger.js';
import type { BrokerConfig } from './broker-config.js';
import { runtimeModules } from './runtime-modules.js';

/**
 * The runtimes this broker can bind sessions to, started from the validated
 * config: each live when its credentials are configured, else (with
 * SWITCHBOARD_EMULATORS=auto) against its emulator on loopback.
 */
export class RuntimeRegistry {
  private constructor(private readonly started: Map<ProviderId, StartedRuntime>) {}

  static async start(config: BrokerConfig): Promise<RuntimeRegistry> {
    // All at once: each mostly loads its SDK and emulator modules and waits for
    // its emulator to listen, so their file reads and listens overlap. Listed
    // in registration order whatever order they finish in.
    const outcomes = await Promise.allSettled(
      runtimeModules.map((module) => module.start({ settings: config.runtimes[module.id], config, log: logger.child({ component: 'runtime', provider: module.id }) })),
    );
    const started = new Map<ProviderId, StartedRuntime>();
    outcomes.forEach((outcome, index) => {
      if (outcome.status === 'fulfilled' && outcome.value) started.set(runtimeModules[index].id, outcome.value);
    });
    const failure = outcomes.find((outcome) => outcome.status === 'rejected');
    if (failure) {
      await Promise.allSettled([...started.values()].map((runtime) => runtime.close()));
      throw failure.reason;
    }
    return new RuntimeRegistry(started);
  }

  get(id: string): RuntimeAdapter | undefined {
    return this.started.get(id as ProviderId)?.adapter;
  }

  ids(): ProviderId[] {
    return [...this.started.keys()];
  }

  descriptors(): RuntimeDescriptor[] {
    return [...this.started.values()].map((runtime) => runtime.adapter.descriptor);
  }

  /** What `GET /v1/providers` lists: each descriptor, with the emulator's sample target for an emulated runtime. */
  providerViews(): Array<RuntimeDescriptor & { sampleTarget?: unknown }> {
    return [...this.started.values()].map((runtime) =>
      runtime.demoTarget === undefined ? runtime.adapter.descriptor : { ...runtime.adapter.descriptor, sampleTarget: runtime.demoTarget },
    );
  }

  /** Ready-made targets of the emulated runtimes, keyed by provider. */
  demoTargets(): Partial<Record<ProviderId, unknown>> {
    return Object.fromEntries([...this.started].filter(([, runtime]) => runtime.demoTarget).map(([id, runtime]) => [id, runtime.demoTarget]));
  }

  /** The in-process emulator behind a runtime, if it is emulated. */
  emulator<T>(id: ProviderId): T | undefined {
    return this.started.get(id)?.emulator as T | undefined;
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.started.values()].map((runtime) => runtime.close()));
  }
}
