import { Injectable } from '@nestjs/common';
import { Counter } from 'prom-client';
import { Metrics } from '../metrics/metrics.js';

/** Prometheus metrics about limits and budgets (the dashboard's "limit denials" and "budget burn"). */
@Injectable()
export class LimitMetrics {
  readonly denials: Counter<'code' | 'limit'>;
  private readonly spent: Counter<'provider'>;
  private readonly exhaustions: Counter<'provider'>;

  constructor(metrics: Metrics) {
    const registers = [metrics.registry];
    this.denials = new Counter({
      name: 'switchboard_limit_denials_total',
      help: 'Requests refused by a tenant or user limit (each also audited as limit.denied), by error code and limit',
      labelNames: ['code', 'limit'],
      registers,
    });
    this.spent = new Counter({
      name: 'switchboard_budget_spent_usd_total',
      help: 'Measured turn cost booked on the budget ledgers, in USD, by provider',
      labelNames: ['provider'],
      registers,
    });
    this.exhaustions = new Counter({
      name: 'switchboard_budget_exhaustions_total',
      help: "Turns after which a user's or tenant's monthly budget was used up (their session ends with reason budget), by provider",
      labelNames: ['provider'],
      registers,
    });
  }

  /** After a turn's settlement committed: what it cost, and whether it used a budget up. */
  settled(provider: string, costUsd: string, budgetExhausted: boolean): void {
    const cost = Number(costUsd);
    if (cost > 0) this.spent.inc({ provider }, cost);
    if (budgetExhausted) this.exhaustions.inc({ provider });
  }
}
