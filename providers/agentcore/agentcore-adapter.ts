import { createHash } from 'node:crypto';
import { InvokeAgentRuntimeCommand, StopRuntimeSessionCommand, type InvokeAgentRuntimeCommandOutput } from '@aws-sdk/client-bedrock-agentcore';
import { silentLog, streamBroke, type AdapterLog } from '#libs/provider-kit';
import type { IdentitiesConfig } from '#libs/config';
import {
  RuntimeError,
  type OpenedSession,
  type RuntimeAdapter,
  type RuntimeDescriptor,
  type RuntimeEvent,
  type SessionBinding,
  type SessionCeilings,
  type SessionHandle,
  type SessionLife,
  type SessionTotals,
  type TargetCheck,
  type TurnRequest,
} from '#libs/runtime-spec';
import { AgentCoreClients, type AgentCoreConnection } from './agentcore-clients.js';
import { RuntimeLifecycles } from './agentcore-control-plane.js';
import { toRuntimeError } from './agentcore-errors.js';
import { ContactLog, reapedReason, sessionStateSchema, tighterLifecycle, type AgentCoreSessionState } from './agentcore-session-state.js';
import { runtimeSessionIdFor } from './agentcore-session-id.js';
import { targetLifecycle, type AgentCoreTarget } from './agentcore-target.js';
import { sessionCompute, turnUsage } from './agentcore-usage.js';
import { responseCodecs } from './codecs/index.js';
import { readableKeepingConnection, readResponseBody, releaseBody, type ResponseBody } from './response-reader.js';

export interface AgentCoreAdapterOptions {
  connection: AgentCoreConnection;
  /** The operator's identities: a target naming an `aws` one runs as its assumed role (none: the default chain). */
  identities?: IdentitiesConfig;
  mode: 'live' | 'emulated';
  /** Timeout of one non-turn call (stop, GetAgentRuntime). */
  callTimeoutMs: number;
  log?: AdapterLog;
}

/**
 * Seconds taken off a runtime's idle timeout for the broker's: AgentCore
 * starts its idle clock when the response ends, the broker a little later,
 * once the turn is recorded; a turn in that gap would boot a fresh microVM.
 */
const idleMarginSeconds = 5;
/** The most any AgentCore microVM runtime allows for either setting. */
const agentCoreMaxSeconds = 28_800;

/**
 * AWS Bedrock AgentCore Runtime through `@aws-sdk/client-bedrock-agentcore`.
 * AgentCore has no session resource: a session is a `runtimeSessionId` the
 * first invocation boots a microVM for, and there is no status call, so the
 * broker's clock (with the timestamps this adapter keeps in the session
 * state) is the only truth about its lifecycle.
 * https://docs.aws.amazon.com/bedrock-agentcore/latest/devguide/runtime-sessions.html
 */
export class AgentCoreAdapter implements RuntimeAdapter {
  readonly id = 'agentcore' as const;
  readonly descriptor: RuntimeDescriptor;
  private readonly clients: AgentCoreClients;
  private readonly lifecycles: RuntimeLifecycles;
  private readonly contacts = new ContactLog();
  private readonly log: AdapterLog;

  constructor(options: AgentCoreAdapterOptions) {
    this.descriptor = { id: 'agentcore', isolation: 'microvm', mode: options.mode, idleTimeoutMaxSeconds: agentCoreMaxSeconds, maxLifetimeSeconds: agentCoreMaxSeconds };
    this.log = options.log ?? silentLog;
    this.clients = new AgentCoreClients(options.connection, options.callTimeoutMs, options.identities ?? new Map());
    this.lifecycles = new RuntimeLifecycles((target) => this.clients.control(target), this.log);
  }

  ceilings(raw: unknown): SessionCeilings {
    const target = raw as AgentCoreTarget;
    const lifecycle = tighterLifecycle(targetLifecycle(target), this.lifecycles.cached(target.agentRuntimeArn));
    return { idleTimeoutMaxSeconds: lifecycle.idleTimeoutSeconds - idleMarginSeconds, maxLifetimeSeconds: lifecycle.maxLifetimeSeconds };
  }

  /** Mints the session id and records the lifecycle; AgentCore itself is first called by the first turn. */
  async openSession(binding: SessionBinding, signal: AbortSignal): Promise<OpenedSession> {
    const target = binding.target as AgentCoreTarget;
    const runtime = target.lifecycleFromControlPlane ? await this.lifecycles.fetch(target, signal) : undefined;
    const runtimeSessionId = runtimeSessionIdFor(binding.sessionId);
    const state: AgentCoreSessionState = { runtimeSessionId, turns: 0, lifecycle: tighterLifecycle(targetLifecycle(target), runtime) };
    return { providerSessionId: runtimeSessionId, state };
  }

  async *runTurn(request: TurnRequest): AsyncIterable<RuntimeEvent> {
    const { session, signal } = request;
    const target = session.binding.target as AgentCoreTarget;
    const parsed = sessionStateSchema.safeParse(session.state);
    if (!parsed.success) throw new RuntimeError('provider_error', 'the stored AgentCore session state is unreadable', { turnAccepted: false, cause: parsed.error });
    const state = parsed.data;
    const sessionId = state.runtimeSessionId;
    const reaped = reapedReason(state, this.contacts.get(sessionId), Date.now());
    if (reaped) {
      // Invoking now would silently boot a fresh microVM with none of the conversation.
      throw new RuntimeError('not_found', `AgentCore has already ended this session (${reaped.replace('_', ' ')})`, { turnAccepted: false, providerCode: reaped });
    }
    const startedAt = Date.now();
    const output = await this.invoke(request, target, state);
    this.contacts.touch(sessionId, startedAt);
    const body = output.response as ResponseBody | undefined;
    const destroyBody = () => body?.destroy?.(signal.reason instanceof Error ? signal.reason : undefined);
    signal.addEventListener('abort', destroyBody, { once: true });
    const tokens = { inputTokens: 0, outputTokens: 0 };
    let endedCleanly = false;
    try {
      for await (const step of readResponseBody(body ? readableKeepingConnection(body) : emptyBody(), output.contentType, responseCodecs[target.responseCodec].startTurn())) {
        switch (step.kind) {
          case 'emit':
            yield step.event;
            break;
          case 'usage':
            tokens.inputTokens += step.inputTokens;
            tokens.outputTokens += step.outputTokens;
            break;
          case 'failed':
            yield { type: 'turn.error', code: step.code, message: step.message };
            return;
          case 'state_lost':
            await this.stopFreshMicroVm(session, step.message);
            throw new RuntimeError('not_found', `the agent holds no state for this session: ${step.message}`, { turnAccepted: false, providerCode: 'SessionStateLost' });
          case 'end': {
            endedCleanly = true;
            const endedAt = Date.now();
            const next: AgentCoreSessionState = { ...state, turns: state.turns + 1, startedAt: state.startedAt ?? startedAt, lastContactAt: endedAt };
            yield { type: 'turn.end', usage: turnUsage(target, tokens, endedAt - startedAt), state: next };
            return;
          }
          case 'ignore':
            this.log.debug({ provider: 'agentcore', what: step.what }, 'response data not in the portable stream');
        }
      }
      // readResponseBody always ends with `end` or `failed`, both of which return above.
      throw new RuntimeError('provider_error', 'the response reader stopped before the turn ended', { turnAccepted: true, providerRequestId: output.$metadata.requestId });
    } catch (error) {
      if (error instanceof RuntimeError) throw error;
      if (signal.aborted) throw toRuntimeError(error, { call: 'invoke', turnAccepted: true });
      // A reset socket surfaces as `Error: aborted` (ECONNRESET) from the body stream, never retried by the SDK.
      throw streamBroke("the agent's response broke off", error, { providerRequestId: output.$metadata.requestId });
    } finally {
      signal.removeEventListener('abort', destroyBody);
      // Leaving early (turn.end before the body's end, an error, the broker stopping) must release the connection: for reuse when the turn ended cleanly.
      releaseBody(body, endedCleanly && !signal.aborted);
      this.contacts.touch(sessionId, Date.now());
    }
  }

  private async invoke(request: TurnRequest, target: AgentCoreTarget, state: AgentCoreSessionState): Promise<InvokeAgentRuntimeCommandOutput> {
    const { binding } = request.session;
    const payload = {
      prompt: request.input.map((part) => part.text).join('\n'),
      // Lets an agent tell a continued session from a fresh one (see README: SessionStateLost).
      switchboard: { sessionId: binding.sessionId, turnId: request.turnId, resume: state.turns > 0 },
    };
    try {
      return await this.clients.invoke(target).send(
        new InvokeAgentRuntimeCommand({
          agentRuntimeArn: target.agentRuntimeArn,
          qualifier: target.qualifier,
          runtimeSessionId: state.runtimeSessionId,
          runtimeUserId: target.runtimeUserId ? runtimeUserIdFor(binding) : undefined,
          contentType: 'application/json',
          accept: 'text/event-stream',
          payload: new TextEncoder().encode(JSON.stringify(payload)),
        }),
        { abortSignal: request.signal },
      );
    } catch (error) {
      // Without an answer we cannot tell whether the request reached the agent.
      throw toRuntimeError(error, { call: 'invoke', turnAccepted: true });
    }
  }

  /**
   * Always undefined: {@link openSession} creates nothing at AgentCore (its
   * `runtimeSessionId` is derived from the broker's session id, and a microVM
   * boots only at the first turn, which a session still provisioning never
   * ran), so a replica that died while opening left nothing running there.
   */
  /** GetAgentRuntime on the control plane: the runtime exists and is READY (or updating, still serving). */
  checkTarget(target: unknown, signal: AbortSignal): Promise<TargetCheck> {
    return this.lifecycles.check(target as AgentCoreTarget, signal);
  }

  async findOrphan(): Promise<string | undefined> {
    return undefined;
  }

  /**
   * AgentCore reports no usage; its bill for the session is compute over the
   * microVM's whole life, idle time included, estimated from the target's
   * size ({@link sessionCompute}).
   */
  async sessionTotals(session: SessionHandle, life: SessionLife): Promise<SessionTotals> {
    const target = session.binding.target as AgentCoreTarget;
    const stored = sessionStateSchema.safeParse(session.state);
    const lifecycle = stored.success ? stored.data.lifecycle : targetLifecycle(target);
    const compute = sessionCompute(target, lifecycle, life);
    return compute ? { compute } : {};
  }

  /** StopRuntimeSession; AgentCore's 404 (unknown or already ended) counts as stopped. */
  async stopSession(session: SessionHandle): Promise<void> {
    const target = session.binding.target as AgentCoreTarget;
    try {
      await this.clients.stop(target).send(
        new StopRuntimeSessionCommand({ agentRuntimeArn: target.agentRuntimeArn, qualifier: target.qualifier, runtimeSessionId: session.providerSessionId }),
      );
    } catch (error) {
      const failure = toRuntimeError(error, { call: 'stop', turnAccepted: false });
      if (failure.kind !== 'not_found') throw failure;
    } finally {
      this.contacts.forget(session.providerSessionId);
    }
  }

  /** The invocation booted a microVM the broker will not stop (it ends the session as lost): stop it here. */
  private async stopFreshMicroVm(session: SessionHandle, reason: string): Promise<void> {
    this.log.warn({ provider: 'agentcore', runtimeSessionId: session.providerSessionId, reason }, 'AgentCore restarted the session on a fresh microVM');
    try {
      await this.stopSession(session);
    } catch (error) {
      this.log.warn({ provider: 'agentcore', runtimeSessionId: session.providerSessionId, err: error }, 'could not stop the fresh microVM');
    }
  }

  close(): void {
    this.clients.destroy();
  }
}

/**
 * The end user as AgentCore sees it, tenant-qualified: AgentCore keys
 * workload-identity tokens by this id, and two tenants may share a runtime.
 */
export function runtimeUserIdFor(binding: Pick<SessionBinding, 'tenantId' | 'userId'>): string {
  const qualified = `${binding.tenantId}:${binding.userId}`;
  return qualified.length <= 128 ? qualified : `${binding.tenantId}:${createHash('sha256').update(binding.userId).digest('hex')}`;
}

async function* emptyBody(): AsyncIterable<Uint8Array> {}
