import { Injectable } from '@nestjs/common';
import { AppError, invalidRequest } from '#libs/errors';
import { newId } from '#libs/ids';
import { Database, GroupCommit, type Transaction } from '#libs/persistence';
import { currentRequestContext, runWithRequestContext, type RequestContext } from '#libs/request-context';
import { auditKeyringOf } from '../audit/audit-keyring.js';
import { deferChainedEvent, nextChainedEvent, type AuditEventInput, type ChainedAuditEvent, type ChainHead } from '../audit/audit-log.js';
import { LimitDenial, LimitEnforcer } from '../limits/limit-enforcer.js';
import { RuntimeRegistry } from '../runtimes/runtime-registry.js';
import { TargetAccess } from '../target-grants/target-access.js';
import { nudgeDeliveriesAfterCommit } from '../webhooks/webhook-outbox.js';
import { lockForSessionCreates } from './session-admission.js';
import { SessionRepository, type Session } from './session.repository.js';
import type { CreateSessionBody } from './session.schemas.js';

/** How a create ended in its transaction (a client mistake is thrown instead). */
export type BoundOutcome =
  | { kind: 'created'; session: Session }
  | { kind: 'agent_missing' }
  | { kind: 'denied'; denial: LimitDenial }
  | { kind: 'target_refused'; error: AppError };

interface Create {
  caller: { tenantId: string; userId: string };
  body: CreateSessionBody;
  /** The create's request: its audit record names its caller and request. */
  context: RequestContext | undefined;
}

/**
 * Binds new sessions (status `provisioning`, with their audit records)
 * before their provider is called, batched per tenant — a group commit:
 * while one transaction of a tenant holds its audit chain head, this replica
 * queues the tenant's later creates, and the next transaction decides and
 * records all of them, in order, one after another. The head serialises a
 * tenant's audited writes on every replica and is what keeps the limits'
 * counts exact (see `LimitEnforcer`); one hold and one COMMIT for many
 * creates is what lets a tenant's creates scale (issue 17). Each create is
 * judged on the counts with the batch's earlier admissions added, so a batch
 * admits exactly what one-by-one creates would. Should a batch fail, each of
 * its creates is tried again on its own (see `GroupCommit`).
 */
@Injectable()
export class SessionCreates {
  private readonly batches = new GroupCommit<Create, BoundOutcome>(async (tenantId, batch) => {
    const decided = await this.database.inTenant(tenantId, (tx) => this.decide(tx, tenantId, batch, { andCommit: true }), { pipelined: true });
    for (const denial of decided.denials) this.limits.countDenial(denial);
    return (index) => outcomeOf(decided, index);
  });

  constructor(
    private readonly database: Database,
    private readonly registry: RuntimeRegistry,
    private readonly limits: LimitEnforcer,
    private readonly access: TargetAccess,
  ) {}

  /** A create in a batch of its tenant's (its own transaction, shared). */
  bind(caller: { tenantId: string; userId: string }, body: CreateSessionBody): Promise<BoundOutcome> {
    return this.batches.submit(caller.tenantId, { caller, body, context: currentRequestContext() });
  }

  /**
   * A create in the caller's transaction, which is left open (the caller
   * commits it, also when the create was refused: the refusal is recorded).
   * The tenant's audit chain head is held from here on. Throws a client
   * mistake.
   */
  async bindIn(tx: Transaction, caller: { tenantId: string; userId: string }, body: CreateSessionBody): Promise<BoundOutcome> {
    const decided = await this.decide(tx, caller.tenantId, [{ caller, body, context: currentRequestContext() }], { andCommit: false });
    for (const denial of decided.denials) this.limits.countDenial(denial);
    return outcomeOf(decided, 0);
  }

  /**
   * Decides `batch` in order under the tenant's chain head and records what
   * was decided (sessions, audit records) in one round trip after the head
   * was read; `andCommit`: with the COMMIT.
   */
  private async decide(tx: Transaction, tenantId: string, batch: Create[], options: { andCommit: boolean }): Promise<Decided> {
    const admissions = await lockForSessionCreates(
      tx,
      tenantId,
      batch.map((create) => create.caller.userId),
      batch.map((create) => create.body.agent),
    );
    const keyring = auditKeyringOf(tx);
    let head: ChainHead = admissions.auditHead;
    const chain = (create: Create, input: AuditEventInput): ChainedAuditEvent & { hash: string } => {
      const next = () => nextChainedEvent(keyring, head, tenantId, input);
      const event = create.context ? runWithRequestContext(create.context, next) : next();
      head = { lastSeq: event.seq, lastHash: event.hash, lastAt: new Date(event.at) };
      return event;
    };
    // This batch's admissions, added to the counts read under the head.
    let admittedInTenant = 0;
    const admittedFor = new Map<string, number>();
    const countedFor = new Map<string, number>();
    const sessions = new SessionRepository(tx);
    const decided: Decided = { outcomes: [], denials: [], sessions: new Map() };
    const created: string[] = [];
    for (const create of batch) {
      const { caller, body } = create;
      const agent = admissions.agents.get(body.agent);
      if (!agent) {
        deferChainedEvent(tx, chain(create, { type: 'access.denied', user: caller.userId, detail: { resource: 'agent', reference: body.agent, action: 'create_session' } }));
        decided.outcomes.push({ kind: 'agent_missing' });
        continue;
      }
      const provider = body.provider ?? agent.defaultProvider;
      const adapter = this.registry.get(provider);
      if (!adapter) {
        decided.outcomes.push(invalidRequest('unknown runtime', [{ path: 'body.provider', message: `the ${provider} runtime is not registered on this broker` }]));
        continue;
      }
      const target = agent.targets[provider];
      if (!target) {
        decided.outcomes.push(invalidRequest('no target', [{ path: 'body.provider', message: `agent ${agent.name} has no ${provider} target` }]));
        continue;
      }
      // Grants are read in every create's transaction (with its admissions): a revoked grant stops agents stored while it held.
      const refused = await this.access.refusalOf(
        tx,
        { tenantId, path: 'agent.targets', targets: { [provider]: target }, action: 'create_session', user: caller.userId, agentId: agent.id },
        admissions.grantedScopes,
      );
      if (refused) {
        deferChainedEvent(tx, chain(create, refused.audit));
        decided.outcomes.push({ kind: 'target_refused', error: refused.error });
        continue;
      }
      const observed = admissions.limitsOf(caller.userId);
      const judged = this.limits.judgeSession(caller, adapter.descriptor, {
        ...observed,
        liveForUser: observed.liveForUser + (admittedFor.get(caller.userId) ?? 0),
        liveInTenant: observed.liveInTenant + admittedInTenant,
        createsThisMinute: observed.createsThisMinute + (countedFor.get(caller.userId) ?? 0),
      });
      if (judged instanceof AppError) {
        deferChainedEvent(tx, chain(create, this.limits.denialRecord(caller, judged, { provider: adapter.descriptor.id })));
        decided.denials.push(judged);
        decided.outcomes.push({ kind: 'denied', denial: new LimitDenial(judged) });
        continue;
      }
      admittedInTenant += 1;
      admittedFor.set(caller.userId, (admittedFor.get(caller.userId) ?? 0) + 1);
      if (judged.countCreate) countedFor.set(caller.userId, (countedFor.get(caller.userId) ?? 0) + 1);
      const { policy } = judged;
      const ceilings = adapter.ceilings(target);
      const sessionId = newId('ses');
      const bound = chain(create, { type: 'session.bound', user: caller.userId, session: sessionId, provider, detail: { agentId: agent.id, agentName: agent.name } });
      sessions.deferBindProvisioning(
        {
          id: sessionId,
          tenantId,
          userId: caller.userId,
          agentId: agent.id,
          provider,
          target,
          metadata: body.metadata ?? {},
          // The tenant policy gives the default and the cap; the provider's ceiling caps both.
          idleTimeoutSeconds: Math.min(body.idleTimeoutSeconds ?? policy.idleTimeoutSeconds!, policy.idleTimeoutSeconds!, ceilings.idleTimeoutMaxSeconds),
          maxLifetimeSeconds: Math.min(body.maxLifetimeSeconds ?? policy.maxLifetimeSeconds!, policy.maxLifetimeSeconds!, ceilings.maxLifetimeSeconds),
        },
        judged.countCreate,
        bound,
      );
      created.push(sessionId);
      decided.outcomes.push({ kind: 'created', sessionId });
    }
    // The records' queued webhook deliveries are not counted: wake the dispatcher if there may be some.
    if (admissions.webhooks && decided.outcomes.some((outcome) => !(outcome instanceof AppError))) nudgeDeliveriesAfterCommit(tx);
    // Everything deferred goes with this read (and the COMMIT): one round trip after the head was read.
    for (const session of await sessions.findMany(created, options)) decided.sessions.set(session.id, session);
    return decided;
  }
}

/** The outcome of the `index`th create decided; throws its client mistake. */
function outcomeOf(decided: Decided, index: number): BoundOutcome {
  const outcome = decided.outcomes[index];
  if (outcome instanceof AppError) throw outcome;
  return outcome.kind === 'created' ? { kind: 'created', session: decided.sessions.get(outcome.sessionId)! } : outcome;
}

interface Decided {
  /** Per create, in order: its outcome (a created session by id), or the client mistake to throw. */
  outcomes: Array<Exclude<BoundOutcome, { kind: 'created' }> | { kind: 'created'; sessionId: string } | AppError>;
  /** Refusals to count in the metrics once committed. */
  denials: AppError[];
  sessions: Map<string, Session>;
}
