import type { z } from 'zod';
import type { AppConfig, IdentityKind } from '#libs/config';
import type { ProviderId, RuntimeAdapter } from '#libs/runtime-spec';
import type { ConformanceFixture } from './conformance-fixture.js';
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
 * Who sells and invoices a runtime: what the cost export's FOCUS provider
 * columns say (apps/broker/src/costs/focus-columns.ts).
 */
export interface RuntimeVendor {
  /** The company: FOCUS ServiceProviderName and HostProviderName (and the deprecated ProviderName, PublisherName), InvoiceIssuerName. */
  company: string;
  /** The product: FOCUS ServiceName, and the start of each ChargeDescription. */
  serviceName: string;
}

/**
 * One published list price of a runtime. The broker adds a runtime's list to
 * the price book (a new version) when the book has never priced that runtime,
 * so a new runtime needs no migration (apps/broker/src/costs/runtime-list-prices.ts).
 */
export interface RuntimeListPrice {
  /** A price unit of the price book (apps/broker/src/costs/price-units.ts); an unknown one stops the broker at boot. */
  unit: string;
  /** USD per unit, as decimal text (at most 10 decimals). */
  unitPrice: string;
  /** Where the price is published, and what it is the price of. */
  source: string;
  /** YYYY-MM-DD: the day the price was read from its source. */
  effectiveDate: string;
}

/**
 * Everything the broker knows about one runtime, declared in its folder:
 * its settings (its slice of the environment), its agent-target schema, its
 * vendor and list prices, its conformance fixture, and how to start it from
 * the validated config — live against the cloud, or against its emulator, or
 * not at all. The broker's registry (apps/broker/src/runtimes/runtime-modules.ts)
 * lists one per `ProviderId`; providers/README.md is the checklist.
 */
export interface RuntimeModule<Id extends ProviderId = ProviderId, Settings = unknown> {
  id: Id;
  /**
   * Its slice of the environment: a zod object over the variables it reads
   * (named SWITCHBOARD_<ID>_… or the vendor's own), its output the runtime's
   * settings. Validated at boot with the rest of the config, each bad key
   * reported with the others; the result is `config.runtimes.<id>`.
   */
  settings: z.ZodType<Settings>;
  /** Validates `targets.<id>` of an agent; also documents it in OpenAPI. */
  targetSchema: z.ZodType;
  /** What of a target the operator grants to tenants (README: Target grants). */
  targetScopes: TargetScopes;
  /** The kind of configured identity its targets may name (`targets.<id>.identity`; README: Provider identities). */
  identityKind: IdentityKind;
  /**
   * The variables of its settings any one of which makes `auto` mode go live
   * (`SWITCHBOARD_<ID>_MODE=live` forces it without them). The live suite
   * (test/live) runs a runtime when one is set.
   */
  liveCredentials: readonly string[];
  vendor: RuntimeVendor;
  /** Its published list prices, the price book's starting point for it. */
  listPrices: readonly RuntimeListPrice[];
  /** Starts the runtime with its own settings, or returns undefined when they leave it off. */
  start(context: { settings: Settings; config: AppConfig; log: AdapterLog }): Promise<StartedRuntime | undefined>;
  /** The runtime's emulator: started when it runs emulated, or on its own (`npm run emulator -- <id>`). */
  emulator: EmulatorEntry;
  /** Its conformance fixture (tests only; loaded on demand so the broker never loads test code or SDK clients for it). */
  conformance(): Promise<ConformanceFixture<Id>>;
}

/**
 * Declares a runtime module with its id and settings types inferred: the
 * registry then knows `config.runtimes.<id>` exactly, and `start` gets its
 * settings typed from its own schema.
 */
export function defineRuntime<const Id extends ProviderId, Settings>(module: RuntimeModule<Id, Settings>): RuntimeModule<Id, Settings> {
  return module;
}

export interface StandaloneEmulator {
  url: string;
  /** A target that works against this emulator, to paste into an agent. */
  demoTarget: unknown;
  stop(): Promise<void>;
}
