import Anthropic from '@anthropic-ai/sdk';
import type { IdentitiesConfig } from '#libs/config';
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
  type SessionLife,
  type SessionTotals,
  type TargetCheck,
  type TurnRequest,
} from '#libs/runtime-spec';
import { toRuntimeError } from './claude-errors.js';
import { echoMatcher, mapClaudeEvent, type SentEvent } from './claude-event-mapper.js';
import type { ClaudeTarget } from './claude-target.js';
import { cumulativeOf, newestOf, sessionTokenTotals, turnUsageBetween, zeroUsage, type CumulativeUsage } from './claude-usage.js';
import { claudeSessionSchema, claudeSetupObjectSchema } from './claude-wire.js';

export interface ClaudeAdapterOptions {
  /** The platform's API key: targets that name no identity use it. */
  apiKey: string;
  /** The operator's identities: a target naming an `anthropic` one uses its workspace key instead. */
  identities: IdentitiesConfig;
  /** The emulator's URL, or undefined for api.anthropic.com. */
  baseUrl: string | undefined;
  mode: 'live' | 'emulated';
  /** Timeout of one non-turn call (create, archive, retrieve). */
  callTimeoutMs: number;
  log?: AdapterLog;
}

/**
 * Claude has no documented idle timeout or lifetime cap: idle sessions persist
 * until archived (idle time is not billed). Broker policy decides; these are
 * only upper bounds for it.
 */
const thirtyDays = 30 * 24 * 3600;
const ceilings: SessionCeilings = { idleTimeoutMaxSeconds: thirtyDays, maxLifetimeSeconds: thirtyDays };

/**
 * How far back an orphan search looks: the agent's newest 500 sessions. An
 * orphan is minutes old when the broker looks for it, so it is among the
 * newest unless the agent opens hundreds of sessions a minute.
 */
const orphanSearchPageSize = 100;
const orphanSearchPages = 5;

/** Cumulative session usage at the end of the last turn: the baseline for the next turn's delta. */
interface ClaudeSessionState extends Record<string, unknown> {
  usage: CumulativeUsage;
}

/**
 * Claude Managed Agents through `client.beta.sessions.*` of @anthropic-ai/sdk.
 * https://platform.claude.com/docs/en/managed-agents/overview
 */
export class ClaudeAdapter implements RuntimeAdapter {
  readonly id = 'claude' as const;
  readonly descriptor: RuntimeDescriptor;
  /** One client per API key: the platform's, and each identity's a target names (made on first use). */
  private readonly clients: PerIdentity<'anthropic', Anthropic>;
  private readonly log: AdapterLog;

  constructor(private readonly options: ClaudeAdapterOptions) {
    this.descriptor = { id: 'claude', isolation: 'sandbox', mode: options.mode, ...ceilings };
    // Retries are chosen per call below: reads and the stream GET may be
    // retried by the SDK; a call that could start work (create, send) never is.
    this.clients = new PerIdentity(options.identities, 'anthropic', (identity) =>
      new Anthropic({ apiKey: identity?.apiKey ?? options.apiKey, baseURL: options.baseUrl ?? null, maxRetries: 0 }),
    );
    this.log = options.log ?? silentLog;
  }

  /** The client for a session's target: its identity's key, or the platform's (a session keeps the identity it opened with). */
  private clientOf(binding: SessionBinding): Anthropic {
    return this.clients.for((binding.target as ClaudeTarget).identity);
  }

  ceilings(): SessionCeilings {
    return ceilings;
  }

  async openSession(binding: SessionBinding, signal: AbortSignal): Promise<OpenedSession> {
    const target = binding.target as ClaudeTarget;
    const client = this.clients.for(target.identity);
    try {
      const created = await client.beta.sessions.create(
        {
          agent: target.agentVersion ? { type: 'agent', id: target.agentId, version: target.agentVersion } : target.agentId,
          environment_id: target.environmentId,
          metadata: { switchboard_session: binding.sessionId, switchboard_tenant: binding.tenantId, switchboard_user: binding.userId.slice(0, 512) },
        },
        { signal, timeout: this.options.callTimeoutMs, maxRetries: 0 },
      );
      const session = claudeSessionSchema.parse(created);
      return { providerSessionId: session.id, state: { usage: { ...zeroUsage } } satisfies ClaudeSessionState };
    } catch (error) {
      const runtimeError = toRuntimeError(error, { turnAccepted: true });
      // Claude has no idempotency key: if the answer was lost, a session may
      // exist anyway. Find it by its metadata and archive it, so a failed open
      // leaves nothing running.
      if (runtimeError.turnAccepted) await this.archiveOrphan(binding);
      throw runtimeError;
    }
  }

  /**
   * One turn: the decisions on tool calls the previous turn left waiting
   * (`user.tool_confirmation`, https://platform.claude.com/docs/en/managed-agents/permission-policies),
   * read until the agent is idle again, then the message, read until idle.
   * Each send is a phase of the one stream; the message goes only once the
   * decided work has ended, so its own turn is never mistaken for the end of
   * that work. A phase that ends `requires_action` on tool calls it announced
   * (`approval.requested`) ends the turn there.
   */
  async *runTurn(request: TurnRequest): AsyncIterable<RuntimeEvent> {
    const sessionId = request.session.providerSessionId;
    const client = this.clientOf(request.session.binding);
    const baseline = (request.session.state as ClaudeSessionState).usage ?? zeroUsage;
    const options = { signal: request.signal };
    const phases: SentEvent[][] = [];
    if (request.approvals?.length) {
      phases.push(
        request.approvals.map((approval) => ({
          type: 'user.tool_confirmation' as const,
          tool_use_id: approval.toolCallId,
          result: approval.decision,
          // "Only allowed when result is 'deny'" (BetaManagedAgentsUserToolConfirmationEventParams).
          ...(approval.decision === 'deny' && approval.message ? { deny_message: approval.message } : {}),
        })),
      );
    }
    if (request.input.length > 0) phases.push([{ type: 'user.message', content: request.input.map((part) => ({ type: 'text' as const, text: part.text })) }]);
    // The stream has no replay: open it before sending anything.
    let stream;
    try {
      stream = await client.beta.sessions.events.stream(sessionId, { event_deltas: ['agent.message'] }, { ...options, maxRetries: 2 });
    } catch (error) {
      throw toRuntimeError(error, { turnAccepted: false });
    }
    const events = stream[Symbol.asyncIterator]();
    // The newest `session.usage` snapshot streamed during this turn, if any: the docs promise none per turn.
    let streamed: CumulativeUsage | undefined;
    let activeReported = false;
    const turnEnd = async (): Promise<RuntimeEvent> => {
      const read = await this.sessionUsage(client, sessionId, request.signal);
      const now = newestOf(baseline, newestOf(streamed ?? baseline, read ? cumulativeOf(read, baseline) : baseline));
      return { type: 'turn.end', usage: turnUsageBetween(baseline, now, activeReported || read?.active_seconds !== undefined), state: { usage: now } satisfies ClaudeSessionState };
    };
    try {
      for (const [index, sending] of phases.entries()) {
        const sent = await this.send(client, sessionId, sending, request.signal, stream, index === 0);
        // Events before the echo of what this phase sent belong to an earlier turn
        // that is still draining (one that timed out, say): skip them. The echo is
        // known by the id the send returned, never by position: the late echo of
        // an earlier message must not start (and its idle end) this turn.
        const isOurEcho = echoMatcher(sent, sending);
        let reachedOurEvent = false;
        // Tool calls a person may confirm, seen in this phase; those announced as waiting for approval.
        const confirmable = new Map<string, { name: string; input: unknown }>();
        const announced = new Set<string>();
        for (;;) {
          const next = await events.next();
          // Ending without the turn's end: the broker reports the truncation (or the abort that caused it).
          if (next.done) return;
          const raw = next.value;
          if (!reachedOurEvent) {
            reachedOurEvent = isOurEcho(raw);
            if (!reachedOurEvent) this.log.debug({ provider: 'claude', eventType: (raw as { type?: string }).type }, 'skipped an event of an earlier turn');
            continue;
          }
          const step = mapClaudeEvent(raw);
          switch (step.kind) {
            case 'emit':
              if (step.event.type === 'approval.requested') announced.add(step.event.toolCallId);
              if (step.event.type === 'tool.call' && isConfirmable(raw)) confirmable.set(step.event.id, { name: step.event.name, input: step.event.input });
              yield step.event;
              continue;
            case 'usage':
              streamed = cumulativeOf(step.usage, streamed ?? baseline);
              activeReported ||= step.usage.active_seconds !== undefined;
              continue;
            case 'failed':
              yield { type: 'turn.error', code: step.code, message: step.message };
              return;
            case 'gone':
              throw new RuntimeError('not_found', 'the Claude session was terminated or deleted', { turnAccepted: true });
            case 'blocked': {
              // Blocked on tool calls a person decides: the turn stops for approvals. Anything
              // else it may wait on (a custom tool's result) the portable API cannot send.
              const unanswerable = step.eventIds.filter((id) => !announced.has(id) && !confirmable.has(id));
              if (step.eventIds.length === 0 || unanswerable.length > 0) {
                yield { type: 'turn.error', code: 'provider_requires_action', message: 'the agent is waiting for a custom tool result, which the portable API cannot send' };
                return;
              }
              for (const id of step.eventIds) {
                const call = confirmable.get(id);
                if (!announced.has(id) && call) yield { type: 'approval.requested', toolCallId: id, name: call.name, input: call.input };
              }
              yield await turnEnd();
              return;
            }
            case 'idle':
              if (index === phases.length - 1) {
                yield await turnEnd();
                return;
              }
              break;
            case 'ignore':
              this.log.debug({ provider: 'claude', eventType: step.type }, 'event not in the portable stream');
              continue;
          }
          break;
        }
      }
    } catch (error) {
      if (error instanceof RuntimeError) throw error;
      if (request.signal.aborted) throw toRuntimeError(error, { turnAccepted: true });
      // Anything that breaks the body after it started (a reset socket surfaces
      // as undici's "TypeError: terminated", a mid-stream `event: error` as an
      // APIError without status) is a truncated stream.
      throw streamBroke('the Claude event stream broke', error);
    } finally {
      // Leaving the loop early must close the SSE request.
      stream.controller.abort();
      // A turn we gave up on keeps running (and billing) at Claude: interrupt it.
      if (request.signal.aborted) await this.interrupt(client, sessionId);
    }
  }

  /**
   * Sends one phase's events. Only the turn's first send can be refused
   * before the turn was accepted; once an earlier phase ran, the turn is.
   */
  private async send(client: Anthropic, sessionId: string, events: SentEvent[], signal: AbortSignal, stream: { controller: AbortController }, first: boolean) {
    try {
      return await client.beta.sessions.events.send(sessionId, { events }, { signal, maxRetries: 0 });
    } catch (error) {
      stream.controller.abort();
      // Only a response that says the events were refused proves they were not queued.
      const refused = error instanceof Anthropic.APIError && error.status !== undefined && error.status < 500;
      throw toRuntimeError(error, { turnAccepted: !first || !refused });
    }
  }

  /**
   * The session's cumulative usage, read once the turn is idle: the
   * authoritative figure (`session.usage` events are periodic snapshots,
   * not one per turn). Undefined when the read fails: the turn still
   * completes with what the stream showed, and since the baseline then
   * stays behind, the next turn's read books the rest. Nothing is lost,
   * only attributed one turn late.
   */
  private async sessionUsage(client: Anthropic, sessionId: string, signal: AbortSignal) {
    try {
      const raw = await client.beta.sessions.retrieve(sessionId, {}, { signal, timeout: this.options.callTimeoutMs, maxRetries: 2 });
      return claudeSessionSchema.parse(raw).usage;
    } catch (error) {
      // The broker gave up on the turn: no usage to report (the outer handler turns this into its error).
      if (signal.aborted) throw error;
      this.log.warn(
        { provider: 'claude', providerSessionId: sessionId, err: error },
        'could not read the session usage after the turn: the turn is metered with the usage its stream showed, and the next turn catches up',
      );
      return undefined;
    }
  }

  private async interrupt(client: Anthropic, sessionId: string): Promise<void> {
    try {
      await client.beta.sessions.events.send(sessionId, { events: [{ type: 'user.interrupt' }] }, { timeout: 5_000, maxRetries: 1 });
    } catch (error) {
      this.log.warn({ provider: 'claude', providerSessionId: sessionId, err: error }, 'could not interrupt an abandoned turn');
    }
  }

  async stopSession(session: SessionHandle): Promise<void> {
    const target = session.binding.target as ClaudeTarget;
    const options = { timeout: this.options.callTimeoutMs, maxRetries: 2 };
    const client = this.clients.for(target.identity);
    try {
      if (target.deleteOnTerminate) await client.beta.sessions.delete(session.providerSessionId, {}, options);
      else await client.beta.sessions.archive(session.providerSessionId, {}, options);
    } catch (error) {
      const runtimeError = toRuntimeError(error, { turnAccepted: false });
      if (runtimeError.kind === 'not_found') return; // already gone (404) or already archived (409)
      throw runtimeError;
    }
  }

  /**
   * The ended session's cumulative token usage (`sessions.retrieve`), the
   * figure Anthropic bills: the broker reconciles its per-turn deltas with
   * it (a turn whose read failed, a late snapshot). A deleted session
   * (`deleteOnTerminate`) reports nothing beyond its turns.
   */
  async sessionTotals(session: SessionHandle, _life: SessionLife, signal: AbortSignal): Promise<SessionTotals> {
    const client = this.clientOf(session.binding);
    try {
      const raw = await client.beta.sessions.retrieve(session.providerSessionId, {}, { signal, timeout: this.options.callTimeoutMs, maxRetries: 2 });
      const usage = claudeSessionSchema.parse(raw).usage;
      return usage ? { tokens: sessionTokenTotals(usage) } : {};
    } catch (error) {
      const runtimeError = toRuntimeError(error, { turnAccepted: false });
      if (runtimeError.kind === 'not_found') return {};
      throw runtimeError;
    }
  }

  async getSessionStatus(session: SessionHandle): Promise<ProviderSessionStatus> {
    const client = this.clientOf(session.binding);
    try {
      const raw = await client.beta.sessions.retrieve(session.providerSessionId, {}, { timeout: this.options.callTimeoutMs, maxRetries: 2 });
      const current = claudeSessionSchema.parse(raw);
      return current.status === 'terminated' || current.archived_at ? 'gone' : 'live';
    } catch (error) {
      const runtimeError = toRuntimeError(error, { turnAccepted: false });
      if (runtimeError.kind === 'not_found') return 'gone';
      throw runtimeError;
    }
  }

  /**
   * Retrieves the agent (at its pinned version, if any) and the environment:
   * a session needs both, and an archived one starts none.
   */
  async checkTarget(raw: unknown, signal: AbortSignal): Promise<TargetCheck> {
    const target = raw as ClaudeTarget;
    const options = { signal, timeout: this.options.callTimeoutMs, maxRetries: 2 };
    const agentName = `Claude agent ${target.agentId}${target.agentVersion ? ` version ${target.agentVersion}` : ''}`;
    const environmentName = `Claude environment ${target.environmentId}`;
    const client = this.clients.for(target.identity);
    const [agent, environment] = await Promise.all([
      this.checkSetupObject(agentName, () => client.beta.agents.retrieve(target.agentId, target.agentVersion ? { version: target.agentVersion } : {}, options)),
      this.checkSetupObject(environmentName, () => client.beta.environments.retrieve(target.environmentId, {}, options)),
    ]);
    return agent.ok ? environment : agent;
  }

  private async checkSetupObject(what: string, retrieve: () => Promise<unknown>): Promise<TargetCheck> {
    try {
      const found = claudeSetupObjectSchema.parse(await retrieve());
      return found.archived_at ? { ok: false, code: 'target_not_ready', detail: `${what} was archived at ${found.archived_at}` } : { ok: true };
    } catch (error) {
      return failedTargetCheck(what, error instanceof Anthropic.APIError ? error.status : undefined, toRuntimeError(error, { turnAccepted: false }));
    }
  }

  /**
   * Claude has no caller-chosen session id, but {@link openSession} tags each
   * session with `metadata.switchboard_session`: the agent's newest
   * sessions are searched for it (a bounded scan; archived sessions are not
   * listed, and terminated ones count as ended).
   */
  async findOrphan(binding: SessionBinding): Promise<string | undefined> {
    try {
      for await (const candidate of this.sessionsOf(binding)) {
        if (candidate.status !== 'terminated') return candidate.id;
      }
      return undefined;
    } catch (error) {
      throw toRuntimeError(error, { turnAccepted: false });
    }
  }

  /** The agent's unarchived sessions tagged with this binding's session id, newest first. */
  private async *sessionsOf(binding: SessionBinding): AsyncIterable<{ id: string; status: string }> {
    const target = binding.target as ClaudeTarget;
    const options = { timeout: this.options.callTimeoutMs, maxRetries: 2 };
    let page = await this.clientOf(binding).beta.sessions.list({ agent_id: target.agentId, order: 'desc', limit: orphanSearchPageSize }, options);
    for (let pages = 1; ; pages++) {
      for (const raw of page.data) {
        const candidate = claudeSessionSchema.parse(raw);
        if (candidate.metadata?.switchboard_session === binding.sessionId) yield candidate;
      }
      if (pages >= orphanSearchPages || !page.hasNextPage()) return;
      page = await page.getNextPage();
    }
  }

  private async archiveOrphan(binding: SessionBinding): Promise<void> {
    try {
      // Found first, archived after: archiving during the scan would move the page cursor's anchor.
      const found: Array<{ id: string }> = [];
      for await (const candidate of this.sessionsOf(binding)) found.push(candidate);
      for (const candidate of found) {
        await this.clientOf(binding).beta.sessions.archive(candidate.id, {}, { timeout: this.options.callTimeoutMs, maxRetries: 2 });
        this.log.warn({ provider: 'claude', providerSessionId: candidate.id, sessionId: binding.sessionId }, 'archived a session whose creation failed');
      }
    } catch (error) {
      this.log.warn({ provider: 'claude', sessionId: binding.sessionId, err: error }, 'could not check for an orphaned session');
    }
  }
}

/** A built-in or MCP tool call: the kinds a `user.tool_confirmation` answers (a custom tool's needs a result). */
function isConfirmable(raw: unknown): boolean {
  const type = (raw as { type?: unknown }).type;
  return type === 'agent.tool_use' || type === 'agent.mcp_tool_use';
}
