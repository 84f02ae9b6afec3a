import { GetAgentRuntimeCommand, type BedrockAgentCoreControlClient } from '@aws-sdk/client-bedrock-agentcore-control';
import { failedTargetCheck, type AdapterLog } from '#libs/provider-kit';
import { RuntimeError, type TargetCheck } from '#libs/runtime-spec';
import { serviceStatus, toRuntimeError } from './agentcore-errors.js';
import { agentRuntimeLifecycleSchema } from './agentcore-wire.js';
import { parseRuntimeArn, type AgentCoreTarget, type Lifecycle } from './agentcore-target.js';

/** Runtime statuses that still serve invocations (an UPDATE_FAILED runtime keeps its previous version). */
const servingStatuses = new Set(['READY', 'UPDATING', 'UPDATE_FAILED']);
const cacheTtlMs = 5 * 60_000;

/**
 * The lifecycle a runtime really enforces, read from the control plane's
 * GetAgentRuntime for targets with `lifecycleFromControlPlane`, cached per
 * runtime. It reads the runtime's latest version: endpoints pinned to an
 * older version may differ (GetAgentRuntimeEndpoint would say which).
 * https://docs.aws.amazon.com/bedrock-agentcore-control/latest/APIReference/API_GetAgentRuntime.html
 */
export class RuntimeLifecycles {
  private readonly cache = new Map<string, { lifecycle: Partial<Lifecycle>; fetchedAt: number }>();

  constructor(
    /** The control-plane client for a target (its region and identity). */
    private readonly clientFor: (target: AgentCoreTarget) => BedrockAgentCoreControlClient,
    private readonly log: AdapterLog,
  ) {}

  /**
   * Whether the target's runtime exists and serves, from GetAgentRuntime
   * (never cached: the caller asks precisely because things may have changed).
   */
  async check(target: AgentCoreTarget, signal: AbortSignal): Promise<TargetCheck> {
    const arn = parseRuntimeArn(target.agentRuntimeArn)!;
    const what = `AgentCore runtime ${arn.runtimeId} in ${arn.region}`;
    try {
      const raw = await this.clientFor(target).send(new GetAgentRuntimeCommand({ agentRuntimeId: arn.runtimeId }), { abortSignal: signal });
      const runtime = agentRuntimeLifecycleSchema.parse(raw);
      if (servingStatuses.has(runtime.status)) return { ok: true };
      return { ok: false, code: 'target_not_ready', detail: `${what} is ${runtime.status}, not READY` };
    } catch (error) {
      return failedTargetCheck(what, serviceStatus(error), toRuntimeError(error, { call: 'control', turnAccepted: false }));
    }
  }

  /** What the last fetch said, if it is recent: lets `ceilings()` (synchronous) use it. */
  cached(arn: string): Partial<Lifecycle> | undefined {
    const entry = this.cache.get(arn);
    return entry && Date.now() - entry.fetchedAt < cacheTtlMs ? entry.lifecycle : undefined;
  }

  /**
   * Fetches (or reuses) the runtime's lifecycle. A runtime that cannot serve
   * is an invalid target; a control plane that cannot answer is logged and
   * the target's own figures stand.
   */
  async fetch(target: AgentCoreTarget, signal: AbortSignal): Promise<Partial<Lifecycle> | undefined> {
    const known = this.cached(target.agentRuntimeArn);
    if (known) return known;
    const arn = parseRuntimeArn(target.agentRuntimeArn)!;
    let raw;
    try {
      raw = await this.clientFor(target).send(new GetAgentRuntimeCommand({ agentRuntimeId: arn.runtimeId }), { abortSignal: signal });
    } catch (error) {
      const failure = toRuntimeError(error, { call: 'control', turnAccepted: false });
      if (failure.kind === 'invalid_target') throw failure;
      this.log.warn({ provider: 'agentcore', arn: target.agentRuntimeArn, err: error }, 'could not read the runtime lifecycle; using the target figures');
      return undefined;
    }
    const runtime = agentRuntimeLifecycleSchema.parse(raw);
    if (!servingStatuses.has(runtime.status)) {
      throw new RuntimeError('invalid_target', `the AgentCore runtime is ${runtime.status}, not READY`, { turnAccepted: false, providerCode: runtime.status });
    }
    const lifecycle = {
      idleTimeoutSeconds: runtime.lifecycleConfiguration?.idleRuntimeSessionTimeout,
      maxLifetimeSeconds: runtime.lifecycleConfiguration?.maxLifetime,
    };
    if (lifecycle.idleTimeoutSeconds !== undefined && lifecycle.idleTimeoutSeconds < (target.idleTimeoutSeconds ?? 900)) {
      this.log.warn({ provider: 'agentcore', arn: target.agentRuntimeArn, runtime: lifecycle }, 'the runtime reaps idle sessions sooner than its target says; fix the target');
    }
    this.cache.set(target.agentRuntimeArn, { lifecycle, fetchedAt: Date.now() });
    return lifecycle;
  }
}
