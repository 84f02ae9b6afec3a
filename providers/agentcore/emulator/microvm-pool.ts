import type { EmulatorClock, EmulatorStats } from '#libs/emulator-kit';
import type { EmulatedRuntime } from './runtime-catalog.js';

/** One session's microVM: the agent's memory lives here and dies with it. */
export interface MicroVm {
  runtime: EmulatedRuntime;
  qualifier: string;
  runtimeSessionId: string;
  bootedAt: number;
  /** When the last invocation ended (or began, while one runs): the idle clock. */
  lastActivityAt: number;
  /** Invocations streaming right now; a busy microVM is never idle. */
  readonly inFlight: Set<AbortController>;
  /** What the user said in each turn the agent ran, oldest first. */
  readonly history: string[];
  /** Booted in place of a microVM that died under a live session (see `markLost`). */
  replacesLostVm: boolean;
}

export type ReapReason = 'idle_timeout' | 'max_lifetime';

/**
 * The microVMs of the emulated account, keyed by runtime, endpoint and
 * session id. Expiry is checked lazily against the emulator clock, so a test
 * advancing the clock past a runtime's idle timeout or lifetime makes the
 * next lookup find nothing, exactly as AgentCore forgets a reaped session.
 */
export class MicroVmPool {
  private readonly vms = new Map<string, MicroVm>();
  /** Session ids whose microVM died while the session was in use. */
  private readonly lost = new Set<string>();

  constructor(
    private readonly clock: EmulatorClock,
    private readonly stats: EmulatorStats,
  ) {}

  /** The live microVM of a session, or undefined when it never booted, was stopped, or has been reaped. */
  find(runtime: EmulatedRuntime, qualifier: string, runtimeSessionId: string): MicroVm | undefined {
    const key = keyOf(runtime, qualifier, runtimeSessionId);
    const vm = this.vms.get(key);
    if (!vm) return undefined;
    const reason = this.reapReason(vm);
    if (!reason) return vm;
    this.stats.count(`microvm.reaped.${reason}`);
    this.terminate(vm);
    return undefined;
  }

  /** The session's microVM, booting a fresh one (with an empty memory) when there is none. */
  acquire(runtime: EmulatedRuntime, qualifier: string, runtimeSessionId: string): MicroVm {
    const existing = this.find(runtime, qualifier, runtimeSessionId);
    if (existing) return existing;
    const now = this.clock.now();
    const replacesLostVm = this.lost.delete(runtimeSessionId);
    const vm: MicroVm = { runtime, qualifier, runtimeSessionId, bootedAt: now, lastActivityAt: now, inFlight: new Set(), history: [], replacesLostVm };
    this.vms.set(keyOf(runtime, qualifier, runtimeSessionId), vm);
    this.stats.count('microvm.boot');
    return vm;
  }

  /** Marks an invocation running until `release` is called. */
  begin(vm: MicroVm, invocation: AbortController): void {
    vm.inFlight.add(invocation);
    vm.lastActivityAt = this.clock.now();
  }

  release(vm: MicroVm, invocation: AbortController): void {
    vm.inFlight.delete(invocation);
    vm.lastActivityAt = this.clock.now();
  }

  /** Ends the microVM at once, cutting its streaming responses (StopRuntimeSession, a lost host). */
  terminate(vm: MicroVm): void {
    this.vms.delete(keyOf(vm.runtime, vm.qualifier, vm.runtimeSessionId));
    for (const invocation of vm.inFlight) invocation.abort(new Error('the microVM was terminated'));
    vm.inFlight.clear();
  }

  /**
   * A host failure under a live session: its microVM (if any) dies, and the
   * next one booted for the id knows it replaces a lost one, as an agent that
   * records its sessions in durable storage would notice.
   */
  markLost(runtimeSessionId: string): void {
    for (const vm of this.findBySessionId(runtimeSessionId)) this.terminate(vm);
    this.lost.add(runtimeSessionId);
  }

  /** Every live microVM of a session id, whatever runtime (test hooks know only the id). */
  findBySessionId(runtimeSessionId: string): MicroVm[] {
    return [...this.vms.values()].flatMap((vm) => (vm.runtimeSessionId === runtimeSessionId ? (this.find(vm.runtime, vm.qualifier, runtimeSessionId) ?? []) : []));
  }

  terminateAll(): void {
    for (const vm of [...this.vms.values()]) this.terminate(vm);
  }

  private reapReason(vm: MicroVm): ReapReason | undefined {
    const now = this.clock.now();
    if (now - vm.bootedAt >= vm.runtime.maxLifetimeSeconds * 1000) return 'max_lifetime';
    if (vm.inFlight.size === 0 && now - vm.lastActivityAt >= vm.runtime.idleTimeoutSeconds * 1000) return 'idle_timeout';
    return undefined;
  }
}

const keyOf = (runtime: EmulatedRuntime, qualifier: string, runtimeSessionId: string) => `${runtime.arn}\n${qualifier}\n${runtimeSessionId}`;
