import type { Transaction } from '#libs/persistence';
import { Inject, Injectable } from '@nestjs/common';
import type { AppConfig } from '#libs/config';
import { AppError } from '#libs/errors';
import type { RuntimeDescriptor } from '#libs/runtime-spec';
import { appConfigToken } from '../app.tokens.js';
import { appendAuditEvent, type AuditEventInput } from '../audit/audit-log.js';
import type { TurnAbandonedListener } from '../lifecycle/turn-abandonment.js';
import { LimitMetrics } from './limit-metrics.js';
import { recordBudgetAlerts } from './budget-alerts.js';
import { LimitsRepository, type SessionAdmissionState, type StoredPolicies } from './limits.repository.js';
import type { Policy } from './limits.schemas.js';
import { budgetMonth, effectivePolicy, meetsIsolation, secondsToNextMinute } from './policy.js';

/** A refusal, recorded (`limit.denied`) inside the transaction, thrown by the caller after it commits. */
export class LimitDenial {
  constructor(readonly error: AppError) {}
}

/** A turn's budget reservation, to settle when it ends. */
export interface BudgetReservation {
  month: string;
  amountUsd: string;
  user: boolean;
  tenant: boolean;
  /** The budgets in force when the turn was admitted, to judge exhaustion when it settles. */
  userBudgetUsd: string | null;
  tenantBudgetUsd: string | null;
  /** The budget alert thresholds in force when the turn was admitted (absent on turns admitted before alerts existed). */
  alertThresholds?: number[] | null;
}

/**
 * Enforces the tenant's limits inside the caller's transaction, in the
 * database, so they hold across every replica at once.
 *
 * Mechanism, chosen by measurement (shared/notes/database.md §8): a session
 * create holds the tenant's audit chain head, locked before the counts are
 * read and kept to COMMIT (every create writes an audit record, so that lock
 * already serialises the tenant's creates on every replica); counting live
 * sessions and the minute's creates then inserting is exact under it (naive
 * count-then-insert let 16 of 200 through a limit of 5 on PostgreSQL). Turn
 * rates and budgets are single conditional statements (`… WHERE count <
 * limit`, `… WHERE spent + reserved + x <= budget`), atomic without a lock
 * of their own.
 */
@Injectable()
export class LimitEnforcer implements TurnAbandonedListener {
  constructor(
    @Inject(appConfigToken) private readonly config: AppConfig,
    private readonly metrics: LimitMetrics,
  ) {}

  /**
   * Before a session is bound: isolation, live-session caps, the create rate.
   * `observed` was read after the caller locked the tenant's audit chain
   * head, which it holds to COMMIT. Returns the policy in force, and whether
   * the create is to be counted in the user's rate window (by the statement
   * that binds the session).
   */
  async admitSession(
    tx: Transaction,
    caller: { tenantId: string; userId: string },
    runtime: RuntimeDescriptor,
    observed: SessionAdmissionState,
  ): Promise<{ policy: Policy; countCreate: boolean } | LimitDenial> {
    const judged = this.judgeSession(caller, runtime, observed);
    return judged instanceof AppError ? this.deny(tx, caller, judged, { provider: runtime.id }) : judged;
  }

  /**
   * {@link admitSession}'s decision alone: the refusal (to record with
   * {@link denialRecord}) or the policy in force.
   */
  judgeSession(caller: { userId: string }, runtime: RuntimeDescriptor, observed: SessionAdmissionState): { policy: Policy; countCreate: boolean } | AppError {
    const policy = effectivePolicy(this.config, observed.policies.tenant, observed.policies.user);
    const refuse = (code: 'isolation_policy' | 'limit_exceeded' | 'rate_limited', limit: string, detail: string, extra: Record<string, unknown> = {}) =>
      new AppError(code, detail, { limit, ...extra });

    if (!meetsIsolation(runtime.isolation, policy.requiredIsolation ?? 'any')) {
      return refuse('isolation_policy', 'requiredIsolation', `the tenant requires ${policy.requiredIsolation} isolation; ${runtime.id} offers ${runtime.isolation}`);
    }
    const live = { user: observed.liveForUser, tenant: observed.liveInTenant };
    if (policy.maxActiveSessionsPerUser !== null && live.user >= policy.maxActiveSessionsPerUser) {
      return refuse('limit_exceeded', 'maxActiveSessionsPerUser', `user ${caller.userId} has ${live.user} of ${policy.maxActiveSessionsPerUser} active sessions`);
    }
    if (policy.maxActiveSessionsPerTenant !== null && live.tenant >= policy.maxActiveSessionsPerTenant) {
      return refuse('limit_exceeded', 'maxActiveSessionsPerTenant', `the tenant has ${live.tenant} of ${policy.maxActiveSessionsPerTenant} active sessions`);
    }
    const rate = policy.sessionCreatesPerMinutePerUser;
    if (rate !== null && observed.createsThisMinute >= rate) {
      return refuse('rate_limited', 'sessionCreatesPerMinutePerUser', `user ${caller.userId} created ${rate} sessions this minute`, {
        retryAfterSeconds: secondsToNextMinute(),
      });
    }
    return { policy, countCreate: rate !== null };
  }

  /**
   * Before a turn, whose session the caller has claimed in this transaction
   * (holding the tenant's audit chain head): the tenant's turns in flight,
   * the turn rate, then the budgets — reserving this turn's estimated cost on
   * the user's and the tenant's monthly ledgers. `stored` is the policies
   * when the caller already read them in this transaction.
   */
  async admitTurn(
    tx: Transaction,
    caller: { tenantId: string; userId: string },
    estimateUsd: string,
    stored?: StoredPolicies,
  ): Promise<BudgetReservation | LimitDenial> {
    const limits = new LimitsRepository(tx);
    stored ??= await limits.policies(caller.userId);
    const policy = effectivePolicy(this.config, stored.tenant, stored.user);
    if (policy.maxOpenStreamsPerTenant !== null) {
      // Every claim holds the chain head until it commits, so this count (which includes this turn) is exact across replicas.
      const inFlight = await limits.turnsInFlight(caller.tenantId);
      if (inFlight > policy.maxOpenStreamsPerTenant) {
        return this.deny(tx, caller, new AppError('limit_exceeded', `the tenant has ${inFlight - 1} of ${policy.maxOpenStreamsPerTenant} turns in flight`, {
          limit: 'maxOpenStreamsPerTenant',
          retryAfterSeconds: 1,
        }));
      }
    }
    if (policy.turnsPerMinutePerUser !== null) {
      const counted = await limits.takeFromWindow(caller.tenantId, caller.userId, 'turn', policy.turnsPerMinutePerUser);
      if (counted === undefined) {
        return this.deny(tx, caller, new AppError('rate_limited', `user ${caller.userId} ran ${policy.turnsPerMinutePerUser} turns this minute`, {
          limit: 'turnsPerMinutePerUser',
          retryAfterSeconds: secondsToNextMinute(),
        }));
      }
    }
    const month = budgetMonth();
    const reservation: BudgetReservation = {
      month,
      amountUsd: estimateUsd,
      user: false,
      tenant: false,
      userBudgetUsd: policy.monthlyBudgetUsdPerUser,
      tenantBudgetUsd: policy.monthlyBudgetUsdPerTenant,
      alertThresholds: policy.budgetAlertThresholds,
    };
    for (const [scope, budget, ledgerUser] of [
      ['user', policy.monthlyBudgetUsdPerUser, caller.userId],
      ['tenant', policy.monthlyBudgetUsdPerTenant, ''],
    ] as const) {
      if (budget === null) continue;
      if (!(await limits.reserve(caller.tenantId, ledgerUser, month, estimateUsd, budget))) {
        // The caller commits this transaction (for the denial record): undo what was reserved so far.
        if (reservation.user) await limits.settle(caller.tenantId, caller.userId, month, estimateUsd, '0');
        return this.deny(tx, caller, new AppError('budget_exceeded', `the ${scope}'s monthly budget of $${budget} has no room for this turn`, {
          limit: scope === 'user' ? 'monthlyBudgetUsdPerUser' : 'monthlyBudgetUsdPerTenant',
        }));
      }
      reservation[scope] = true;
    }
    return reservation;
  }

  /**
   * After a turn, in its final transaction: releases the reservation, books
   * the measured cost, records (and queues the webhook events of) the alert
   * thresholds it crossed, and says whether a budget is now used up (the
   * session then ends with reason `budget`). Its last statement: without
   * alert thresholds the transaction commits with the settlement (one round
   * trip), so nothing may run in it after. Settles nothing unless this
   * transaction ended the turn `turnId` (finished-turn.ts).
   */
  async settleTurn(tx: Transaction, caller: { tenantId: string; userId: string }, reservation: BudgetReservation, costUsd: string, turnId: string): Promise<boolean> {
    const alertThresholds = reservation.alertThresholds ?? [];
    // Spend is booked on both ledgers whether or not a budget was set, so a budget set mid-month starts from the truth.
    const settled = await new LimitsRepository(tx).settleBoth(
      {
      tenantId: caller.tenantId,
      userId: caller.userId,
      month: reservation.month,
      spent: costUsd,
      userReserved: reservation.user ? reservation.amountUsd : '0',
      tenantReserved: reservation.tenant ? reservation.amountUsd : '0',
      userBudget: reservation.userBudgetUsd,
        tenantBudget: reservation.tenantBudgetUsd,
        alertThresholds,
        turnId,
      },
      // Alerts crossed are recorded after the settlement; with none to watch for, the settlement goes with the COMMIT.
      { andCommit: alertThresholds.length === 0 },
    );
    if (settled.crossed.length > 0) await recordBudgetAlerts(tx, caller.tenantId, reservation.month, settled.crossed);
    return settled.exhausted;
  }

  /**
   * A turn the reaper closed as lost (its replica died): what it reserved is
   * released. Its cost is unknown (the provider stream died with the replica),
   * so nothing is booked as spent.
   */
  async onTurnAbandoned(tx: Transaction, turn: { id: string; tenantId: string; userId: string }): Promise<void> {
    const limits = new LimitsRepository(tx);
    const reservation = await limits.reservationOfTurn<BudgetReservation>(turn.id);
    if (!reservation) return;
    if (reservation.user) await limits.settle(turn.tenantId, turn.userId, reservation.month, reservation.amountUsd, '0');
    if (reservation.tenant) await limits.settle(turn.tenantId, '', reservation.month, reservation.amountUsd, '0');
  }

  private async deny(
    tx: Transaction,
    caller: { tenantId: string; userId: string },
    error: AppError,
    extra: { provider?: string } = {},
  ): Promise<LimitDenial> {
    await appendAuditEvent(tx, caller.tenantId, this.denialRecord(caller, error, extra));
    // Counted when decided: the caller commits the denial's audit record, so the two agree.
    this.countDenial(error);
    return new LimitDenial(error);
  }

  /** The `limit.denied` record of a refusal. */
  denialRecord(caller: { userId: string }, error: AppError, extra: { provider?: string } = {}): AuditEventInput {
    return {
      type: 'limit.denied',
      user: caller.userId,
      provider: extra.provider,
      detail: { code: error.code, limit: error.extensions.limit, reason: error.detail },
      status: error.status,
    };
  }

  /** Counts a refusal in the metrics; once its record is committed. */
  countDenial(error: AppError): void {
    this.metrics.denials.inc({ code: error.code, limit: String(error.extensions.limit) });
  }
}
