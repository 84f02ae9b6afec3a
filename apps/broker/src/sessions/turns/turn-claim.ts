import { Inject, Injectable } from '@nestjs/common';
import type { AppConfig } from '#libs/config';
import { AppError, conflict, notFound } from '#libs/errors';
import { Database } from '#libs/persistence';
import type { InputPart } from '#libs/runtime-spec';
import { appConfigToken } from '../../app.tokens.js';
import type { TurnWindowStart } from '../../costs/meter.repository.js';
import { auditKeyringOf } from '../../audit/audit-keyring.js';
import { lockChainHead, nextChainedEvent, type ChainHead } from '../../audit/audit-log.js';
import { LimitDenial, LimitEnforcer, type BudgetReservation } from '../../limits/limit-enforcer.js';
import type { StoredPolicies } from '../../limits/limits.repository.js';
import { findOwnSession } from '../session-access.js';
import { SessionTerminator } from '../session-terminator.js';
import { expiryReason } from '../session-view.js';
import { SessionRepository, type Session } from '../session.repository.js';
import type { SessionEventView } from '../session.schemas.js';
import type { SessionCaller } from '../sessions.service.js';
import { turnEvent } from './turn-recorder.js';
import { TurnIdempotencyRepository } from './turn-idempotency.repository.js';
import { TurnRepository } from './turn.repository.js';

/** A turn the session was claimed for: its `turn.started` is stored, its budget reserved. */
export interface ClaimedTurn {
  kind: 'claimed';
  session: Session;
  started: SessionEventView;
  reservation: BudgetReservation;
  /** The request carried an `Idempotency-Key`, recorded with the turn. */
  keyed: boolean;
  /**
   * The turn's metering window but its end, read by the claim: its start (its row's `started_at`), since when the
   * session was idle, and the price book it is charged at (the one in force when it started).
   */
  window: TurnWindowStart;
}

/** The request's `Idempotency-Key` and the hash of its body. */
export interface TurnKey {
  key: string;
  requestHash: string;
}

/** A retried request: its key already started this turn (running or ended), which the client gets again. */
export interface RepeatedTurn {
  kind: 'repeated';
  turnId: string;
}

/** Internal signal: a request with the same key committed its turn first; the claim is rolled back and retried. */
class RacedTurnKey extends Error {}

/**
 * Claims a session for one turn, in one transaction: ownership, state and
 * deadlines, limits and the budget reservation, the turn row with its
 * `turn.started` event and the `session.accessed` audit record. Anything
 * that stops the turn is thrown as the client's problem.
 */
@Injectable()
export class TurnClaims {
  constructor(
    private readonly database: Database,
    private readonly limits: LimitEnforcer,
    private readonly terminator: SessionTerminator,
    @Inject(appConfigToken) private readonly config: AppConfig,
  ) {}

  /**
   * With a key, a request whose key already started a turn of the session
   * (within 24 h, same body) gets that turn back instead of a new one; the
   * same key with another body is 409. `admit`, when given, checks the
   * claimed session (row locked) before anything else happens; what it
   * throws rolls the claim back.
   */
  async claim(
    caller: SessionCaller,
    sessionId: string,
    turnId: string,
    input: InputPart[],
    options: { key?: TurnKey; admit?: (session: Session) => void } = {},
  ): Promise<ClaimedTurn | RepeatedTurn> {
    try {
      return await this.claimOnce(caller, sessionId, turnId, input, options);
    } catch (error) {
      if (!(error instanceof RacedTurnKey)) throw error;
      // The other request's turn is committed now: this attempt finds it.
      return this.claimOnce(caller, sessionId, turnId, input, options);
    }
  }

  private async claimOnce(
    caller: SessionCaller,
    sessionId: string,
    turnId: string,
    input: InputPart[],
    { key, admit }: { key?: TurnKey; admit?: (session: Session) => void },
  ): Promise<ClaimedTurn | RepeatedTurn> {
    const result = await this.database.inTenant(caller.tenantId, async (manager) => {
      const sessions = new SessionRepository(manager);
      const keys = new TurnIdempotencyRepository(manager);
      /** The turn this request's key started already, if any (and the session is the caller's). */
      const repeated = async () => {
        const record = key && (await keys.find(sessionId, key.key));
        if (!record) return undefined;
        if (!(await findOwnSession(manager, caller, sessionId, 'turn'))) return { kind: 'missing' as const };
        if (record.requestHash !== key.requestHash) return { kind: 'key_reused' as const };
        return { kind: 'repeated' as const, turnId: record.turnId };
      };
      const earlier = await repeated();
      if (earlier) return earlier;
      // The common case in one statement; when it claims nothing, the session is read to tell why.
      let claimed: { session: Session; firstSeq: number; policies?: StoredPolicies; auditHead: ChainHead; window: TurnWindowStart } | undefined =
        await sessions.claimOwnTurn(sessionId, caller.userId, turnId);
      if (!claimed) {
        const session = await findOwnSession(manager, caller, sessionId, 'turn');
        if (!session) return { kind: 'missing' as const };
        if (session.status === 'terminated') return { kind: 'terminated' as const, session };
        const expired = expiryReason(session);
        if (expired) return { kind: 'expired' as const, reason: expired };
        if (session.status === 'provisioning') return { kind: 'busy' as const };
        // The turn before may have ended since the first attempt.
        const taken = await sessions.claimTurn(sessionId, turnId);
        // Busy, perhaps with this very request's turn, sent again while it runs (its claim committed before ours was tried).
        if (taken === undefined) return (await repeated()) ?? { kind: 'busy' as const };
        claimed = { session, ...taken, auditHead: await lockChainHead(manager, caller.tenantId) };
      }
      const { session, firstSeq, auditHead, window } = claimed;
      admit?.(session);
      const reservation = await this.limits.admitTurn(manager, caller, this.config.budgets.turnEstimateUsd, claimed.policies);
      if (reservation instanceof LimitDenial) {
        // (The denial's own audit record moved the chain past `auditHead`, which is not used.)
        await sessions.releaseTurn(sessionId, turnId);
        return { kind: 'denied' as const, denial: reservation };
      }
      // The transcript shows the turn began even if this replica dies during it.
      const started = turnEvent({ sessionId, turnId }, firstSeq, 'turn.started', { input });
      // Chained on the head the claim locked: no audit append may happen in between.
      const accessed = nextChainedEvent(auditKeyringOf(manager), auditHead, caller.tenantId, {
        type: 'session.accessed',
        user: caller.userId,
        session: sessionId,
        provider: session.provider,
        providerSession: session.providerSessionId,
        detail: { action: 'turn', turnId },
      });
      await new TurnRepository(manager).insertRunning(
        { id: turnId, tenantId: caller.tenantId, sessionId, userId: caller.userId, input, budgetReservation: reservation },
        started,
        accessed,
      );
      if (key && !(await keys.insert({ tenantId: caller.tenantId, sessionId, key: key.key, requestHash: key.requestHash, turnId }))) throw new RacedTurnKey();
      return { kind: 'claimed' as const, turn: { kind: 'claimed' as const, session, started, reservation, keyed: key !== undefined, window } };
      // Pipelined: the opening goes with the claim's first statement, the turn's row with its COMMIT (two round trips).
    }, { pipelined: true });
    switch (result.kind) {
      case 'missing':
        throw notFound('session');
      case 'busy':
        throw conflict('turn_in_progress', 'a turn is already running in this session');
      case 'denied':
        throw result.denial.error;
      case 'expired':
        throw terminatedError(await this.terminator.terminate(caller.tenantId, sessionId, result.reason));
      case 'terminated':
        throw terminatedError(result.session);
      case 'key_reused':
        throw conflict('idempotency_key_reused', 'this Idempotency-Key was used with a different request body');
      case 'repeated':
        return result;
      case 'claimed':
        return result.turn;
    }
  }
}

/** 410: the session is terminated, and why. */
export function terminatedError(session: Session): AppError {
  return new AppError('session_terminated', `the session is terminated (${session.terminationReason ?? 'unknown'})`, {
    terminationReason: session.terminationReason,
  });
}
