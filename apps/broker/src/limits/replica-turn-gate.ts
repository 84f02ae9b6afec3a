import { Inject, Injectable } from '@nestjs/common';
import type { AppConfig } from '#libs/config';
import { AppError } from '#libs/errors';
import { appConfigToken } from '../app.tokens.js';

/**
 * The replica's own ceiling on turns in flight (LIMIT_MAX_OPEN_STREAMS_PER_REPLICA):
 * each holds a client connection, a provider stream and its buffers in this
 * process, so the count that protects the process is this process's, kept in
 * memory. Checked before the turn is claimed, so a refused turn leaves no trace.
 */
@Injectable()
export class ReplicaTurnGate {
  private inFlight = 0;

  constructor(@Inject(appConfigToken) private readonly config: AppConfig) {}

  /** Takes a slot, or throws 503 `replica_at_capacity`. Returns the release (idempotent). */
  enter(): () => void {
    const ceiling = this.config.limits.maxOpenStreamsPerReplica;
    if (ceiling !== null && this.inFlight >= ceiling) {
      // Another replica behind the load balancer may have room: a retry soon can succeed.
      throw new AppError('replica_at_capacity', `this replica already runs ${this.inFlight} of ${ceiling} turns; retry shortly`, {
        limit: 'maxOpenStreamsPerReplica',
        retryAfterSeconds: 1,
      });
    }
    this.inFlight += 1;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.inFlight -= 1;
    };
  }

  get current(): number {
    return this.inFlight;
  }
}
