import { status as GrpcStatus } from '@grpc/grpc-js';
import type { GoogleAuth } from 'google-auth-library';
import { createBackoffSettings } from 'google-gax';
import type { GoogleIdentity, IdentitiesConfig } from '#libs/config';
import { failedTargetCheck, PerIdentity, silentLog, streamBroke, type AdapterLog } from '#libs/provider-kit';
import {
  RuntimeError,
  type OpenedSession,
  type ProviderSessionStatus,
  type RuntimeAdapter,
  type RuntimeDescriptor,
  type RuntimeEvent,
  type SessionBinding,
  type SessionCeilings,
  type SessionHandle,
  type TargetCheck,
  type TurnRequest,
} from '#libs/runtime-spec';
import { turnStreamCallOptions, VertexClients, type VertexEndpoint } from './vertex-clients.js';
import { grpcCodeOf, httpStatusOf, toRuntimeError } from './vertex-errors.js';
import { HttpBodyDecoder, mapAdkEvent, requestConfirmationName } from './vertex-event-mapper.js';
import { lastSegment, vertexSessionIdFor, vertexUserIdFor } from './vertex-ids.js';
import { toProtoStruct } from './vertex-struct.js';
import { locationOf, type VertexTarget } from './vertex-target.js';
import { turnUsage } from './vertex-usage.js';
import { vertexSessionSchema } from './vertex-wire.js';

export interface VertexAdapterOptions {
  endpoint: VertexEndpoint;
  mode: 'live' | 'emulated';
  /** Timeout of one non-turn call (create, get, delete, and each LRO as a whole). */
  callTimeoutMs: number;
  /** The broker's turn timeout (TURN_TIMEOUT_MS): every turn's gRPC deadline derives from it. */
  turnTimeoutMs: number;
  /** See {@link VertexClientOptions.sdkDefaultDeadlineMs}. */
  sdkDefaultDeadlineMs?: number;
  /** The operator's identities: a target naming a `google` one calls as {@link identityAuth} of it. */
  identities?: IdentitiesConfig;
  /** Live: the auth of a configured identity (impersonation); absent against the emulator. */
  identityAuth?: (identity: GoogleIdentity) => GoogleAuth;
  log?: AdapterLog;
}

/**
 * Agent Engine sessions expire at their TTL (at least 24 h) and have no idle
 * timeout; idle and lifetime are broker policy. 30 days bounds both, as the
 * broker's own settings do.
 */
const thirtyDays = 30 * 24 * 3600;
const ceilings: SessionCeilings = { idleTimeoutMaxSeconds: thirtyDays, maxLifetimeSeconds: thirtyDays };
const minimumTtlSeconds = 24 * 3600;
/** The provider TTL outlives the broker's max lifetime by this much, so the broker always ends the session first. */
const ttlMarginSeconds = 3600;
/** The turn's gRPC deadline trails the broker's own turn timeout, so the broker's clock decides and the deadline is a backstop. */
const turnDeadlineGraceMs = 1000;
/** The class method AdkApp registers for streamed turns on a session. */
const streamClassMethod = 'async_stream_query';

/** Adapter-owned state kept by the broker. */
interface VertexSessionState extends Record<string, unknown> {
  /** The tenant-qualified `user_id` the session was created with (immutable at Vertex). */
  userId: string;
  /**
   * The confirmations the last turn asked for: tool call id (the portable
   * `toolCallId`) → the id of ADK's `adk_request_confirmation` call to answer.
   */
  confirmations?: Record<string, string>;
}

/**
 * Vertex AI Agent Engine sessions through `@google-cloud/aiplatform` over gRPC:
 * `SessionService` for the session resource, `ReasoningEngineExecutionService.streamQueryReasoningEngine`
 * (`async_stream_query` of an ADK AdkApp) for turns.
 * https://cloud.google.com/vertex-ai/generative-ai/docs/agent-engine/sessions/overview
 */
export class VertexAdapter implements RuntimeAdapter {
  readonly id = 'vertex' as const;
  readonly descriptor: RuntimeDescriptor;
  private readonly clients: VertexClients;
  private readonly log: AdapterLog;

  constructor(private readonly options: VertexAdapterOptions) {
    this.descriptor = { id: 'vertex', isolation: 'shared', mode: options.mode, ...ceilings };
    this.clients = new VertexClients({
      endpoint: options.endpoint,
      sdkDefaultDeadlineMs: options.sdkDefaultDeadlineMs,
      identityAuth: new PerIdentity(options.identities ?? new Map(), 'google', (identity) => (identity && options.identityAuth ? options.identityAuth(identity) : undefined)),
    });
    this.log = options.log ?? silentLog;
  }

  ceilings(): SessionCeilings {
    return ceilings;
  }

  async openSession(binding: SessionBinding, signal: AbortSignal): Promise<OpenedSession> {
    const target = binding.target as VertexTarget;
    const { sessions } = this.connection(target);
    const sessionId = vertexSessionIdFor(binding.sessionId);
    const name = sessionNameFor(target, binding.sessionId);
    const userId = vertexUserIdFor(binding);
    const opened = { providerSessionId: name, state: { userId } satisfies VertexSessionState };
    try {
      const [operation] = await sessions.createSession(
        {
          parent: target.reasoningEngine,
          sessionId,
          session: {
            userId,
            ttl: { seconds: Math.max(minimumTtlSeconds, binding.maxLifetimeSeconds + ttlMarginSeconds) },
            labels: { switchboard_tenant: binding.tenantId, switchboard_session: binding.sessionId },
          },
        },
        this.lroOptions(),
      );
      await untilAborted(operation.promise(), signal, () => operation.removeAllListeners());
      return opened;
    } catch (error) {
      const runtimeError = signal.aborted
        ? new RuntimeError('timeout', 'Vertex AI did not create the session in time', { cause: error })
        : toRuntimeError(error, { turnAccepted: true });
      // The id is ours, so a retry after a lost answer finds our session: adopt it.
      if (grpcCodeOf(error) === GrpcStatus.ALREADY_EXISTS && (await this.ownedBy(target, name, userId))) return opened;
      // The session may exist (the create went through, the LRO did not
      // finish in time): remove it, so a failed open leaves nothing behind.
      if (runtimeError.turnAccepted) await this.deleteQuietly(target, name);
      // Creation is idempotent by name, so the broker may retry any failure.
      throw new RuntimeError(runtimeError.kind, runtimeError.message, {
        turnAccepted: false,
        providerCode: runtimeError.providerCode,
        cause: error,
      });
    }
  }

  /**
   * One turn: the answers to the confirmations ADK asked for in the previous
   * turn (a user message of `adk_request_confirmation` function responses),
   * then the user's message, each a `stream_query` call of its own, so ADK
   * resumes the confirmed tools before it reads anything new. The turn ends
   * after the last call's final response; the confirmations it asked for are
   * kept in the session state (their call ids are ADK's, not derivable).
   */
  async *runTurn(request: TurnRequest): AsyncIterable<RuntimeEvent> {
    const { session } = request;
    const target = session.binding.target as VertexTarget;
    const state = session.state as Partial<VertexSessionState>;
    const messages: unknown[] = [];
    if (request.approvals?.length) {
      const asked = state.confirmations ?? {};
      messages.push({
        role: 'user',
        parts: request.approvals.map((approval) => ({
          function_response: { id: asked[approval.toolCallId] ?? approval.toolCallId, name: requestConfirmationName, response: { confirmed: approval.decision === 'allow' } },
        })),
      });
    }
    const texts = request.input.map((part) => part.text);
    // AdkApp takes a string, or a genai Content dict for several parts.
    if (texts.length > 0) messages.push(texts.length === 1 ? texts[0] : { role: 'user', parts: texts.map((text) => ({ text })) });
    const started = performance.now();
    const tokens = { inputTokens: 0, outputTokens: 0 };
    const confirmations: Record<string, string> = {};
    for (const [index, message] of messages.entries()) {
      const ended = yield* this.query(request, message, tokens, confirmations, index === 0);
      if (!ended) return;
    }
    const kept = Object.keys(confirmations).length > 0 || state.confirmations !== undefined;
    yield {
      type: 'turn.end',
      usage: turnUsage(target, tokens, (performance.now() - started) / 1000),
      ...(kept ? { state: { ...session.state, confirmations } } : {}),
    };
  }

  /**
   * One `stream_query` call: yields its events, adds its tokens and the
   * confirmations it asks for, and returns whether it reached ADK's final
   * response (false: it stopped early, in-band error or truncation, and the
   * turn ends there).
   */
  private async *query(
    request: TurnRequest,
    message: unknown,
    tokens: { inputTokens: number; outputTokens: number },
    confirmations: Record<string, string>,
    first: boolean,
  ): AsyncGenerator<RuntimeEvent, boolean> {
    const { session, signal } = request;
    const target = session.binding.target as VertexTarget;
    const { executions } = this.connection(target);
    const userId = (session.state as Partial<VertexSessionState>).userId ?? vertexUserIdFor(session.binding);
    const stream = executions.streamQueryReasoningEngine(
      { name: target.reasoningEngine, classMethod: streamClassMethod, input: toProtoStruct({ user_id: userId, session_id: lastSegment(session.providerSessionId), message, ...runConfigFor(target) }) },
      // Never the SDK's 30 s default: a turn may run for minutes. Never re-sent by the SDK.
      { ...turnStreamCallOptions, timeout: this.options.turnTimeoutMs + turnDeadlineGraceMs },
    );
    // Cancelling stops the call at Vertex; destroying wakes the loop below even
    // when the abort comes before gax has issued the call (its cancel() then
    // only marks the proxy, and the stream would never end).
    const cancel = () => {
      stream.cancel();
      stream.destroy(new Error('the turn was abandoned'));
    };
    signal.addEventListener('abort', cancel, { once: true });
    if (signal.aborted) cancel();
    const decoder = new HttpBodyDecoder();
    // A later call of the turn runs after the first was accepted: whatever breaks it breaks an accepted turn.
    let received = !first;
    let lastFinality: 'final' | 'intermediate' | undefined;
    try {
      for await (const body of stream as AsyncIterable<unknown>) {
        received = true;
        for (const item of decoder.push(body)) {
          const step = 'json' in item ? mapAdkEvent(item.json) : undefined;
          if (!step) {
            this.log.debug({ provider: 'vertex', sample: 'text' in item ? item.text.slice(0, 200) : 'non-event JSON' }, 'skipped a streamed value that is not an ADK event');
            continue;
          }
          if (step.error) {
            yield { type: 'turn.error', code: step.error.code, message: step.error.message };
            return false;
          }
          if (step.usage) {
            tokens.inputTokens += step.usage.inputTokens;
            tokens.outputTokens += step.usage.outputTokens;
          }
          for (const asked of step.confirmations ?? []) confirmations[asked.toolCallId] = asked.confirmationId;
          if (step.finality !== 'partial') lastFinality = step.finality;
          yield* step.events;
        }
      }
      for (const leftover of decoder.flush()) this.log.debug({ provider: 'vertex', sample: leftover.text.slice(0, 200) }, 'stream ended inside a line');
      // A clean end without ADK's final response (a cut connection the
      // server still closed with OK, an agent that crashed quietly) is truncated.
      if (lastFinality !== 'final') {
        this.log.warn({ provider: 'vertex', providerSessionId: session.providerSessionId }, 'the turn stream ended without a final response');
        return false;
      }
      return true;
    } catch (error) {
      if (signal.aborted) throw new RuntimeError('timeout', 'the turn was abandoned', { turnAccepted: true, cause: error });
      throw await this.turnFailure(error, received, target, session.providerSessionId);
    } finally {
      signal.removeEventListener('abort', cancel);
      // Stops the server-side request when the broker leaves early (in-band error, turn.end);
      // the CANCELLED error that follows has no reader left, and must not become an uncaught one.
      stream.on('error', () => undefined);
      stream.cancel();
    }
  }

  async stopSession(session: SessionHandle): Promise<void> {
    const target = session.binding.target as VertexTarget;
    try {
      const [operation] = await this.connection(target).sessions.deleteSession({ name: session.providerSessionId }, this.lroOptions());
      await operation.promise();
    } catch (error) {
      if (grpcCodeOf(error) === GrpcStatus.NOT_FOUND) return; // expired or already deleted
      throw toRuntimeError(error, { turnAccepted: false });
    }
  }

  /** Vertex has no session status: a session exists (until its TTL) or is NOT_FOUND. */
  async getSessionStatus(session: SessionHandle): Promise<ProviderSessionStatus> {
    const target = session.binding.target as VertexTarget;
    try {
      const [raw] = await this.connection(target).sessions.getSession({ name: session.providerSessionId }, { timeout: this.options.callTimeoutMs });
      vertexSessionSchema.parse(raw);
      return 'live';
    } catch (error) {
      if (grpcCodeOf(error) === GrpcStatus.NOT_FOUND) return 'gone';
      throw toRuntimeError(error, { turnAccepted: false });
    }
  }

  /**
   * The Vertex session id is derived from the broker's session id
   * (`sb-<id>`), so the orphan is found by name; a session of another user
   * holding that name (impossible unless ids collide) is not ours.
   */
  async findOrphan(binding: SessionBinding): Promise<string | undefined> {
    const target = binding.target as VertexTarget;
    const name = sessionNameFor(target, binding.sessionId);
    try {
      const [raw] = await this.connection(target).sessions.getSession({ name }, { timeout: this.options.callTimeoutMs });
      return vertexSessionSchema.parse(raw).userId === vertexUserIdFor(binding) ? name : undefined;
    } catch (error) {
      if (grpcCodeOf(error) === GrpcStatus.NOT_FOUND) return undefined;
      throw toRuntimeError(error, { turnAccepted: false });
    }
  }

  /** Releases the gRPC channels. */
  /**
   * GetReasoningEngine on the control plane: the engine exists (Agent Engine
   * reports no serving state on the resource, so existing is serving).
   * https://cloud.google.com/vertex-ai/docs/reference/rpc/google.cloud.aiplatform.v1#reasoningengineservice
   */
  async checkTarget(raw: unknown, signal: AbortSignal): Promise<TargetCheck> {
    const target = raw as VertexTarget;
    const what = `Vertex AI reasoning engine ${target.reasoningEngine}`;
    try {
      // The gax deadline ends the call itself; the signal only stops the wait for it.
      await untilAborted(this.connection(target).engines.getReasoningEngine({ name: target.reasoningEngine }, { timeout: this.options.callTimeoutMs }), signal, () => undefined);
      return { ok: true };
    } catch (error) {
      return failedTargetCheck(what, httpStatusOf(error), toRuntimeError(error, { turnAccepted: false }));
    }
  }

  close(): Promise<void> {
    return this.clients.close();
  }

  /**
   * A stream error as the contract wants it. Before any message, a refusal
   * proves nothing ran (`turnAccepted: false`); an ambiguous failure is checked
   * against the session, because how a deployed AdkApp reports a missing
   * session is not part of the API. After messages, the stream was truncated.
   */
  private async turnFailure(error: unknown, received: boolean, target: VertexTarget, name: string): Promise<RuntimeError> {
    const code = grpcCodeOf(error);
    if (code === GrpcStatus.NOT_FOUND) return toRuntimeError(error, { turnAccepted: true });
    if (code === GrpcStatus.DEADLINE_EXCEEDED) return new RuntimeError('timeout', 'the turn outlived its deadline', { turnAccepted: true, providerCode: 'DEADLINE_EXCEEDED', cause: error });
    if (received) {
      return streamBroke('the Vertex AI stream broke', error, { providerCode: code === undefined ? undefined : GrpcStatus[code] });
    }
    const runtimeError = toRuntimeError(error, { turnAccepted: true });
    const ambiguous = code === GrpcStatus.INTERNAL || code === GrpcStatus.UNKNOWN || code === GrpcStatus.FAILED_PRECONDITION || code === GrpcStatus.INVALID_ARGUMENT;
    if (ambiguous && (await this.isGone(target, name))) {
      return new RuntimeError('not_found', 'the Vertex AI session no longer exists', { turnAccepted: false, providerCode: runtimeError.providerCode, cause: error });
    }
    return runtimeError;
  }

  private async isGone(target: VertexTarget, name: string): Promise<boolean> {
    try {
      await this.connection(target).sessions.getSession({ name }, { timeout: this.options.callTimeoutMs });
      return false;
    } catch (error) {
      return grpcCodeOf(error) === GrpcStatus.NOT_FOUND;
    }
  }

  private async ownedBy(target: VertexTarget, name: string, userId: string): Promise<boolean> {
    try {
      const [raw] = await this.connection(target).sessions.getSession({ name }, { timeout: this.options.callTimeoutMs });
      return vertexSessionSchema.parse(raw).userId === userId;
    } catch {
      return false;
    }
  }

  private async deleteQuietly(target: VertexTarget, name: string): Promise<void> {
    try {
      const [operation] = await this.connection(target).sessions.deleteSession({ name }, this.lroOptions());
      await operation.promise();
      this.log.warn({ provider: 'vertex', providerSessionId: name }, 'deleted a session whose creation failed');
    } catch (error) {
      if (grpcCodeOf(error) !== GrpcStatus.NOT_FOUND) this.log.warn({ provider: 'vertex', providerSessionId: name, err: error }, 'could not delete a session whose creation failed');
    }
  }

  /** Each call and the operation's polling as a whole are bounded (gax polls an LRO forever by default). */
  private lroOptions() {
    const timeout = this.options.callTimeoutMs;
    return { timeout, longrunning: createBackoffSettings(100, 1.5, 1000, timeout, 1, timeout, timeout) };
  }

  private connection(target: VertexTarget) {
    return this.clients.forLocation(locationOf(target.reasoningEngine), target.identity);
  }
}

/** The resource name of a broker session's Vertex session (its id is ours to choose). */
function sessionNameFor(target: VertexTarget, brokerSessionId: string): string {
  return `${target.reasoningEngine}/sessions/${vertexSessionIdFor(brokerSessionId)}`;
}

/** Awaits `work`, or rejects as soon as `signal` aborts (after running `release`). */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal, release: () => void): Promise<T> {
  let onAbort = () => undefined as void;
  const aborted = new Promise<never>((_resolve, reject) => {
    onAbort = () => {
      release();
      reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
    };
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  return Promise.race([work, aborted]).finally(() => signal.removeEventListener('abort', onAbort));
}

/**
 * AdkApp's `async_stream_query(run_config=…)` takes RunConfig as a dict
 * (`model_dump(mode="json")`), whose `streaming_mode: "sse"` makes ADK yield
 * partial text events; without it (ADK's default, NONE) only complete events come.
 * https://github.com/googleapis/python-aiplatform (vertexai/agent_engines/templates/adk.py)
 */
function runConfigFor(target: VertexTarget): { run_config?: { streaming_mode: 'sse' } } {
  return target.streaming === 'none' ? {} : { run_config: { streaming_mode: 'sse' } };
}
