import type { TokenCredential } from '@azure/identity';
import type { AzureIdentity, IdentitiesConfig } from '#libs/config';
import OpenAI from 'openai';
import { drainRest, failedTargetCheck, PerIdentity, silentLog, streamBroke, type AdapterLog } from '#libs/provider-kit';
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
  type SessionLife,
  type SessionTotals,
  type TargetCheck,
  type TurnRequest,
} from '#libs/runtime-spec';
import { FoundryClients, type EmulatorRoute } from './foundry-clients.js';
import { billedSessionCompute, estimateCompute, parseSandboxSize, type SandboxSize } from './foundry-compute.js';
import { statusOf, toRuntimeError } from './foundry-errors.js';
import { mapFoundryEvent, portableSessionState } from './foundry-event-mapper.js';
import type { FoundryTarget } from './foundry-target.js';
import { agentVersionSchema, conversationSchema, sessionResourceSchema } from './foundry-wire.js';

export interface FoundryAdapterOptions {
  mode: 'live' | 'emulated';
  /** `DefaultAzureCredential` live; any static token against the emulator. */
  credential: TokenCredential;
  /** The operator's identities: a target naming an `azure` one calls with {@link identityCredential} of it. */
  identities?: IdentitiesConfig;
  /** The credential of a configured identity (live: workload identity with its client id); the platform credential when absent. */
  identityCredential?: (identity: AzureIdentity) => TokenCredential;
  /** Emulated mode: where every project endpoint really goes, and the CA to trust there. */
  emulator?: EmulatorRoute;
  /** Timeout of one non-turn call (create, stop, status). */
  callTimeoutMs: number;
  log?: AdapterLog;
}

/**
 * Sessions persist up to 30 days from their last activity. The version's
 * `idle_timeout_seconds` (default 900) only suspends the sandbox: the session,
 * its files and its conversation resume at the next turn, so it bounds
 * nothing the broker keeps; the broker's idle expiry is the tenant's policy,
 * capped at this lifetime.
 */
const maxLifetimeSeconds = 30 * 24 * 3600;

/** What the broker stores for a Foundry session: its conversation (history) and its sandbox size (for estimates). */
interface FoundrySessionState extends Record<string, unknown> {
  conversationId: string;
  size: SandboxSize | null;
}

interface VersionProfile {
  size: SandboxSize | undefined;
}

/**
 * Microsoft Foundry hosted agents through `@azure/ai-projects` (sessions:
 * `project.agents.*`) and the agent endpoint's OpenAI protocol (turns:
 * `responses.create`, history: `conversations.*`).
 * https://learn.microsoft.com/azure/ai-foundry/agents/how-to/manage-hosted-sessions
 */
export class FoundryAdapter implements RuntimeAdapter {
  readonly id = 'foundry' as const;
  readonly descriptor: RuntimeDescriptor;
  private readonly clients: FoundryClients;
  private readonly log: AdapterLog;
  /** Versions are immutable once active, so their profile is read once per target. */
  private readonly profiles = new Map<string, VersionProfile>();

  constructor(private readonly options: FoundryAdapterOptions) {
    this.descriptor = { id: 'foundry', isolation: 'vm', mode: options.mode, idleTimeoutMaxSeconds: maxLifetimeSeconds, maxLifetimeSeconds };
    const credentials = new PerIdentity(options.identities ?? new Map(), 'azure', (identity) =>
      identity && options.identityCredential ? options.identityCredential(identity) : options.credential,
    );
    this.clients = new FoundryClients(options.credential, options.emulator, credentials);
    this.log = options.log ?? silentLog;
  }

  /** A suspended (idle) hosted session resumes: only the 30-day lifetime bounds either clock. */
  ceilings(): SessionCeilings {
    return { idleTimeoutMaxSeconds: maxLifetimeSeconds, maxLifetimeSeconds };
  }

  /**
   * Creates the hosted session with the broker's session id as
   * `agent_session_id`, so Azure core's own retries (it retries a 5xx even on
   * this POST) and the broker's retries can only ever find the same session:
   * a repeat answers 409 and the existing session is adopted. Then a
   * conversation holds the history. A failure after the session may exist
   * deletes it before throwing.
   */
  async openSession(binding: SessionBinding, signal: AbortSignal): Promise<OpenedSession> {
    const target = binding.target as FoundryTarget;
    const profile = await this.versionProfile(target, signal);
    const sessionId = binding.sessionId;
    await this.createSession(target, sessionId, signal);
    try {
      const conversation = await this.clients
        .openai(target.projectEndpoint, target.agentName, target.identity)
        .conversations.create({ metadata: { switchboard_session: sessionId, switchboard_tenant: binding.tenantId } }, { signal, timeout: this.options.callTimeoutMs });
      const state: FoundrySessionState = { conversationId: conversationSchema.parse(conversation).id, size: profile.size ?? null };
      return { providerSessionId: sessionId, state };
    } catch (error) {
      await this.discardSession(target, sessionId);
      // The session is gone again, so opening anew is safe: nothing was accepted.
      throw toRuntimeError(error, { turnAccepted: false });
    }
  }

  async *runTurn(request: TurnRequest): AsyncIterable<RuntimeEvent> {
    const target = request.session.binding.target as FoundryTarget;
    const state = request.session.state as FoundrySessionState;
    // Answers to the approval requests the last response ended with come first, then the message
    // (https://platform.openai.com/docs/guides/tools-remote-mcp#approvals).
    const answers: OpenAI.Responses.ResponseInputItem[] = (request.approvals ?? []).map((approval) => ({
      type: 'mcp_approval_response',
      approval_request_id: approval.toolCallId,
      approve: approval.decision === 'allow',
      ...(approval.message ? { reason: approval.message } : {}),
    }));
    const message: OpenAI.Responses.ResponseInputItem[] =
      request.input.length > 0 ? [{ type: 'message', role: 'user', content: request.input.map((part) => ({ type: 'input_text' as const, text: part.text })) }] : [];
    const params: OpenAI.Responses.ResponseCreateParamsStreaming & { agent_session_id: string } = {
      input: [...answers, ...message],
      conversation: state.conversationId,
      stream: true,
      agent_session_id: request.session.providerSessionId,
    };
    const started = performance.now();
    let stream;
    try {
      // Never retried by the SDK: it retries 408/409/429/5xx, which could run the turn twice.
      stream = await this.clients.openai(target.projectEndpoint, target.agentName, target.identity).responses.create(params, { signal: request.signal, maxRetries: 0 });
    } catch (error) {
      throw await this.refusedTurn(error, request.session);
    }
    // Read by hand, not with `for await`: leaving that loop at response.completed would close the stream before its end, and its connection with it.
    const events = stream[Symbol.asyncIterator]();
    let endedCleanly = false;
    try {
      for (let next = await events.next(); !next.done; next = await events.next()) {
        const step = mapFoundryEvent(next.value);
        switch (step.kind) {
          case 'emit':
            yield* step.events;
            break;
          case 'completed': {
            endedCleanly = true;
            const seconds = (performance.now() - started) / 1000;
            yield { type: 'turn.end', usage: { ...step.usage, ...estimateCompute(state.size ?? undefined, seconds) } };
            return;
          }
          case 'failed':
            yield { type: 'turn.error', code: step.code, message: step.message };
            return;
          case 'ignore':
            this.log.debug({ provider: 'foundry', eventType: step.type }, 'event not in the portable stream');
        }
      }
      this.log.warn({ provider: 'foundry', sessionId: request.session.binding.sessionId }, 'the response stream ended without response.completed');
    } catch (error) {
      if (request.signal.aborted) throw toRuntimeError(error, { turnAccepted: true });
      // The SDK throws an in-band `error` event as an APIError without a status.
      if (error instanceof OpenAI.APIError && error.status === undefined) {
        yield { type: 'turn.error', code: `provider_${error.code ?? 'error'}`, message: error.message };
        return;
      }
      throw streamBroke('the Foundry response stream broke', error);
    } finally {
      // After response.completed, the rest of the stream is read so that its connection is kept alive for the next turn.
      // Leaving otherwise (abort, failure) closes the SSE request: closing is how a streamed response is cancelled.
      if (endedCleanly && !request.signal.aborted) drainRest(events, () => stream.controller.abort());
      else stream.controller.abort();
    }
  }

  /** Stops the session (files kept) or, with `deleteOnTerminate`, deletes it and its conversation. Both idempotent. */
  async stopSession(session: SessionHandle): Promise<void> {
    const target = session.binding.target as FoundryTarget;
    const agents = this.clients.project(target.projectEndpoint, target.identity).agents;
    const options = { abortSignal: AbortSignal.timeout(this.options.callTimeoutMs) };
    try {
      if (target.deleteOnTerminate) await agents.deleteSession(target.agentName, session.providerSessionId, options);
      else await agents.stopSession(target.agentName, session.providerSessionId, options);
    } catch (error) {
      // 404: already gone; 409: already in a terminal state (expired, deleting).
      const status = statusOf(error);
      if (status !== 404 && status !== 409) throw toRuntimeError(error, { turnAccepted: false });
    }
    // An orphan found by findOrphan comes with an empty state: no conversation is known.
    const conversationId = (session.state as Partial<FoundrySessionState>).conversationId;
    if (target.deleteOnTerminate && conversationId) await this.deleteConversation(target, conversationId);
  }

  /**
   * The session's billed compute, from its own timestamps (`created_at`,
   * `stopped_at`) read after it was stopped, times the version's size.
   * Foundry reports no token totals per session. A session already deleted
   * (`deleteOnTerminate`) or of unknown size reports nothing beyond its turns.
   */
  async sessionTotals(session: SessionHandle, life: SessionLife, signal: AbortSignal): Promise<SessionTotals> {
    const target = session.binding.target as FoundryTarget;
    const size = (session.state as Partial<FoundrySessionState>).size;
    if (!size) return {};
    try {
      const raw = sessionResourceSchema.parse(await this.clients.project(target.projectEndpoint, target.identity).agents.getSession(target.agentName, session.providerSessionId, { abortSignal: signal }));
      const compute = billedSessionCompute(size, raw, life.endedAt);
      return compute ? { compute } : {};
    } catch (error) {
      if (statusOf(error) === 404) return {};
      throw toRuntimeError(error, { turnAccepted: false });
    }
  }

  /**
   * The hosted session's `agent_session_id` is the broker's session id, so
   * the orphan is found by name. Any session not ended (failed, expired,
   * deleted) counts, a stopped (`idle`) one too: it keeps its files, and a
   * `deleteOnTerminate` target wants it deleted. The conversation
   * {@link openSession} may also have made is left to the service's
   * retention: its id was never stored.
   */
  async findOrphan(binding: SessionBinding): Promise<string | undefined> {
    const target = binding.target as FoundryTarget;
    try {
      const raw = await this.clients
        .project(target.projectEndpoint, target.identity)
        .agents.getSession(target.agentName, binding.sessionId, { abortSignal: AbortSignal.timeout(this.options.callTimeoutMs) });
      return portableSessionState(sessionResourceSchema.parse(raw).status) === 'terminated' ? undefined : binding.sessionId;
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw toRuntimeError(error, { turnAccepted: false });
    }
  }

  async getSessionStatus(session: SessionHandle): Promise<ProviderSessionStatus> {
    const target = session.binding.target as FoundryTarget;
    try {
      const raw = await this.clients
        .project(target.projectEndpoint, target.identity)
        .agents.getSession(target.agentName, session.providerSessionId, { abortSignal: AbortSignal.timeout(this.options.callTimeoutMs) });
      return portableSessionState(sessionResourceSchema.parse(raw).status) === 'terminated' ? 'gone' : 'live';
    } catch (error) {
      if (statusOf(error) === 404) return 'gone';
      throw toRuntimeError(error, { turnAccepted: false });
    }
  }

  close(): void {
    this.clients.close();
  }

  /**
   * Gets the agent version from the project (`agents.getVersion`): it must
   * be a hosted agent, `active` (a `creating` version is not ready yet).
   * https://learn.microsoft.com/rest/api/aifoundry/aiprojects/agents/get-agent-version
   */
  async checkTarget(raw: unknown, signal: AbortSignal): Promise<TargetCheck> {
    const target = raw as FoundryTarget;
    const what = `Foundry agent ${target.agentName} version ${target.agentVersion}`;
    let version;
    try {
      version = agentVersionSchema.parse(await this.clients.project(target.projectEndpoint, target.identity).agents.getVersion(target.agentName, target.agentVersion, { abortSignal: signal }));
    } catch (error) {
      return failedTargetCheck(what, statusOf(error), toRuntimeError(error, { turnAccepted: false }));
    }
    if (version.definition.kind !== 'hosted') return { ok: false, code: 'target_not_ready', detail: `${what} is a ${version.definition.kind} agent; sessions need a hosted one` };
    if (version.status !== undefined && version.status !== 'active') return { ok: false, code: 'target_not_ready', detail: `${what} is ${version.status}, not active` };
    return { ok: true };
  }

  private async versionProfile(target: FoundryTarget, signal: AbortSignal): Promise<VersionProfile> {
    const known = this.profiles.get(profileKey(target));
    if (known) return known;
    let version;
    try {
      version = agentVersionSchema.parse(
        await this.clients.project(target.projectEndpoint, target.identity).agents.getVersion(target.agentName, target.agentVersion, { abortSignal: signal }),
      );
    } catch (error) {
      throw statusOf(error) === 404
        ? new RuntimeError('invalid_target', `agent ${target.agentName} has no version ${target.agentVersion}`, { turnAccepted: false, cause: error })
        : toRuntimeError(error, { turnAccepted: false });
    }
    if (version.definition.kind !== 'hosted') {
      throw new RuntimeError('invalid_target', `agent ${target.agentName} version ${target.agentVersion} is a ${version.definition.kind} agent, not a hosted one`, { turnAccepted: false });
    }
    if (version.status !== undefined && version.status !== 'active') {
      // `creating` becomes `active` once the container is provisioned: worth retrying. The others never will.
      const kind = version.status === 'creating' ? 'unavailable' : 'invalid_target';
      throw new RuntimeError(kind, `agent ${target.agentName} version ${target.agentVersion} is ${version.status}`, { turnAccepted: false });
    }
    const profile: VersionProfile = { size: parseSandboxSize(version.definition.cpu, version.definition.memory) };
    this.profiles.set(profileKey(target), profile);
    return profile;
  }

  private async createSession(target: FoundryTarget, sessionId: string, signal: AbortSignal): Promise<void> {
    const agents = this.clients.project(target.projectEndpoint, target.identity).agents;
    try {
      await agents.createSession(target.agentName, { type: 'version_ref', agent_version: target.agentVersion }, { agentSessionId: sessionId, abortSignal: signal });
      return;
    } catch (error) {
      const status = statusOf(error);
      if (status === 409 && (await this.adoptable(target, sessionId))) {
        this.log.debug({ provider: 'foundry', providerSessionId: sessionId }, 'the session already existed (a retried create); adopting it');
        return;
      }
      // No answer, or a 5xx after Azure core's retries: the session may exist anyway.
      if (status === undefined || status >= 500) await this.discardSession(target, sessionId);
      throw toRuntimeError(error, { turnAccepted: false });
    }
  }

  /** Whether the session holding our id is ours to use: live and on the target's version. */
  private async adoptable(target: FoundryTarget, sessionId: string): Promise<boolean> {
    try {
      const existing = sessionResourceSchema.parse(
        await this.clients.project(target.projectEndpoint, target.identity).agents.getSession(target.agentName, sessionId, { abortSignal: AbortSignal.timeout(this.options.callTimeoutMs) }),
      );
      return portableSessionState(existing.status) !== 'terminated' && existing.version_indicator?.agent_version === target.agentVersion;
    } catch (error) {
      this.log.warn({ provider: 'foundry', providerSessionId: sessionId, err: error }, 'could not read the session a create conflicted with');
      return false;
    }
  }

  /** Best-effort delete (idempotent at the service) so a failed open leaves nothing running. */
  private async discardSession(target: FoundryTarget, sessionId: string): Promise<void> {
    try {
      await this.clients
        .project(target.projectEndpoint, target.identity)
        .agents.deleteSession(target.agentName, sessionId, { abortSignal: AbortSignal.timeout(this.options.callTimeoutMs) });
    } catch (error) {
      this.log.warn({ provider: 'foundry', providerSessionId: sessionId, err: error }, 'could not delete a session whose opening failed');
    }
  }

  private async deleteConversation(target: FoundryTarget, conversationId: string): Promise<void> {
    try {
      await this.clients.openai(target.projectEndpoint, target.agentName, target.identity).conversations.delete(conversationId, { timeout: this.options.callTimeoutMs });
    } catch (error) {
      if (statusOf(error) !== 404) throw toRuntimeError(error, { turnAccepted: false });
    }
  }

  /**
   * Why the service refused a turn. A 404/409/410 may mean the session is
   * gone (expired, deleted): the session's own status decides, so a lost
   * session reads `not_found` and the broker terminates it with reason
   * `provider`. A lost conversation is just as final for the portable session.
   */
  private async refusedTurn(error: unknown, session: SessionHandle): Promise<RuntimeError> {
    const status = statusOf(error);
    if (status === 404 || status === 409 || status === 410) {
      const liveness = await this.getSessionStatus(session).catch(() => 'unknown' as const);
      if (liveness === 'gone') return new RuntimeError('not_found', 'the Foundry session expired or was deleted', { turnAccepted: false, providerCode: toRuntimeError(error, { turnAccepted: false }).providerCode, cause: error });
      if (status === 404) return new RuntimeError('not_found', "the Foundry session's conversation no longer exists", { turnAccepted: false, cause: error });
    }
    // A 4xx is a refusal (nothing ran); without an answer or with a 5xx, the turn may have started.
    return toRuntimeError(error, { turnAccepted: true });
  }
}

const profileKey = (target: FoundryTarget) => `${target.identity ?? ''} ${target.projectEndpoint}#${target.agentName}#${target.agentVersion}`;
