import { Injectable } from '@nestjs/common';
import { AppError } from '#libs/errors';
import { Database, GroupCommit, type Transaction } from '#libs/persistence';
import { currentRequestContext, runWithRequestContext, type RequestContext } from '#libs/request-context';
import { auditKeyringOf } from '../audit/audit-keyring.js';
import { appendChainedEventsAndCommit, nextChainedEvent, type ChainHead } from '../audit/audit-log.js';
import { SessionRepository, type Session } from './session.repository.js';

/** A session the provider opened, waiting to be recorded. */
interface Opened {
  session: Session;
  providerSessionId: string;
  providerState: Record<string, unknown>;
  /** The create's request: its audit record names its caller and request. */
  context: RequestContext | undefined;
}

/**
 * Records sessions the provider has opened — the provider session, status
 * `idle`, and the `session.accessed` (provisioned) audit record — batched per
 * tenant, a group commit: while one transaction of a tenant holds its audit
 * chain head, this replica queues the tenant's later ones, and the next
 * transaction records all of them. The head serialises a tenant's audited
 * writes on every replica (issue 17 measured it as what bounds session
 * creates), so one hold and one COMMIT for many sessions is what lets a
 * tenant's creates scale (see `GroupCommit`).
 */
@Injectable()
export class ProvisionedSessions {
  private readonly batches = new GroupCommit<Opened, Session>(async (tenantId, batch) => {
    const recorded = await this.database.inTenant(tenantId, (tx) => this.write(tx, tenantId, batch), { pipelined: true });
    return (index) => recorded[index] ?? vanished(batch[index].session);
  });

  constructor(private readonly database: Database) {}

  /** Resolves with the session as recorded (or as it is, when it ended meanwhile), once committed. */
  record(session: Session, opened: { providerSessionId: string; state: Record<string, unknown> }): Promise<Session> {
    return this.batches.submit(session.tenantId, { session, providerSessionId: opened.providerSessionId, providerState: opened.state, context: currentRequestContext() });
  }

  private async write(tx: Transaction, tenantId: string, batch: Opened[]): Promise<Array<Session | undefined>> {
    const { sessions, auditHead, tenantHasWebhooks } = await new SessionRepository(tx).markReadyLockingChainHead(
      tenantId,
      batch.map((opened) => ({ id: opened.session.id, providerSessionId: opened.providerSessionId, providerState: opened.providerState })),
    );
    const keyring = auditKeyringOf(tx);
    let head: ChainHead = auditHead;
    const events = batch.flatMap((opened, index) => {
      if (!sessions[index]) return [];
      const chain = () =>
        nextChainedEvent(keyring, head, tenantId, {
          type: 'session.accessed',
          user: opened.session.userId,
          session: opened.session.id,
          provider: opened.session.provider,
          providerSession: opened.providerSessionId,
          detail: { action: 'provisioned' },
        });
      const event = opened.context ? runWithRequestContext(opened.context, chain) : chain();
      head = { lastSeq: event.seq, lastHash: event.hash, lastAt: new Date(event.at) };
      return [event];
    });
    if (events.length > 0) await appendChainedEventsAndCommit(tx, events, { tenantHasWebhooks });
    return sessions;
  }
}

function vanished(session: Session): never {
  throw new AppError('internal', `session ${session.id} vanished while it was provisioned`);
}
