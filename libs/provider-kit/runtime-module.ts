import type { z } from 'zod';
import type { AppConfig } from '#libs/config';
import type { ProviderId, RuntimeAdapter } from '#libs/runtime-spec';
import type { AdapterLog } from './debug-log.js';
import type { EmulatorEntry } from './emulated-runtime.js';
import type { TargetScopes } from './target-scope.js';

/** A runtime started for this broker process. */
export interface StartedRuntime {
  adapter: RuntimeAdapter;
  /** Releases what the runtime holds (its in-process emulator, SDK clients). */
  close(): Promise<void>;
  /** The in-process emulator's handle when emulated (tests drive faults through it). */
  emulator?: unknown;
  /** A target that works out of the box against the emulator (demo seed, tests). */
  demoTarget?: unknown;
}

/**
 * What a provider folder exports for the broker's registry: its id, its
 * agent-target schema, and how to start it from the validated config —
 * live against the cloud, or against its emulator, or not at all.
 */
export interface RuntimeModule {
  id: ProviderId;
  /** Validates `targets.<id>` of an agent; also documents it in OpenAPI. */
  targetSchema: z.ZodType;
  /** What of a target the operator grants to tenants (README: Target grants). */
  targetScopes: TargetScopes;
  /** Starts the runtime, or returns undefined when the config leaves it off. */
  start(context: { config: AppConfig; log: AdapterLog }): Promise<StartedRuntime | undefined>;
  /** The provider's emulator: started for an emulated runtime, or on its own (`npm run emulator -- <id>`). */
  emulator: EmulatorEntry;
}

export interface StandaloneEmulator {
  url: string;
  /** A target that works against this emulator, to paste into an agent. */
  demoTarget: unknown;
  stop(): Promise<void>;
}

/**
 * Live when the mode says so, or when `auto` finds the provider's
 * credentials; emulated when `auto` finds none (and emulators are allowed);
 * off otherwise.
 */
export function resolveRuntimeMode(
  mode: 'auto' | 'live' | 'emulated' | 'off',
  hasCredentials: boolean,
  emulators: 'auto' | 'off',
): 'live' | 'emulated' | 'off' {
  if (mode !== 'auto') return mode;
  if (hasCredentials) return 'live';
  return emulators === 'auto' ? 'emulated' : 'off';
}
