import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram } from 'prom-client';
import { Database } from '#libs/persistence';
import { SessionRepository } from '../sessions/session.repository.js';
import { Metrics } from '../metrics/metrics.js';

/** Prometheus metrics about sessions, turns and providers. */
@Injectable()
export class RuntimeMetrics {
  readonly providerErrors: Counter<'provider' | 'code'>;
  readonly turnDuration: Histogram<'provider' | 'outcome'>;
  readonly timeToFirstEvent: Histogram<'provider'>;
  readonly turnBrokerWork: Histogram<'provider' | 'phase'>;

  constructor(metrics: Metrics, database: Database) {
    const registers = [metrics.registry];
    const buckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];
    this.providerErrors = new Counter({
      name: 'switchboard_provider_errors_total',
      help: 'Failed provider calls by provider and error kind',
      labelNames: ['provider', 'code'],
      registers,
    });
    this.turnDuration = new Histogram({
      name: 'switchboard_turn_duration_seconds',
      help: 'Turn latency at the provider: from calling it to the end of its stream (retries included), by provider and outcome',
      labelNames: ['provider', 'outcome'],
      buckets,
      registers,
    });
    this.timeToFirstEvent = new Histogram({
      name: 'switchboard_turn_time_to_first_event_seconds',
      help: 'Time from calling the provider for a turn to its first event (retries included)',
      labelNames: ['provider'],
      buckets,
      registers,
    });
    this.turnBrokerWork = new Histogram({
      name: 'switchboard_turn_broker_seconds',
      help: "The broker's own part of a turn around the provider's: claim (ownership, limits, the claim and its audit record) and record (events, accounting, metering, budgets), by provider",
      labelNames: ['provider', 'phase'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    });
    new Gauge({
      name: 'switchboard_live_sessions',
      help: 'Sessions not yet terminated, by provider and state (read from the database at scrape time)',
      labelNames: ['provider', 'status'],
      registers,
      async collect() {
        const rows = await database.inPlatform((tx) => new SessionRepository(tx).countLiveByProviderAndStatus());
        this.reset();
        for (const row of rows) this.set({ provider: row.provider, status: row.status }, row.count);
      },
    });
  }
}
