import { Inject, Injectable } from '@nestjs/common';
import { trace, SpanStatusCode, type Attributes } from '@opentelemetry/api';
import type { AppConfig } from '#libs/config';
import type { AppError } from '#libs/errors';
import { isRuntimeError, RuntimeError } from '#libs/runtime-spec';
import { appConfigToken } from '../app.tokens.js';
import { logger } from '../logging/logger.js';
import { logProviderFailure, toHttpError } from './provider-failures.js';
import { RuntimeMetrics } from './runtime-metrics.js';

const tracer = trace.getTracer('switchboard');

/**
 * How the broker calls providers: with a timeout, a span, an error metric,
 * and retries only for failures that provably did nothing at the provider
 * (`turnAccepted: false`), with backoff honouring the provider's Retry-After.
 */
@Injectable()
export class ProviderCalls {
  constructor(
    @Inject(appConfigToken) private readonly config: AppConfig,
    private readonly metrics: RuntimeMetrics,
  ) {}

  /**
   * Runs `call` with retries and a per-attempt timeout; maps a final failure
   * to an AppError (`problem`: how, when the call used an agent's target).
   */
  async call<T>(name: string, attributes: Attributes, call: (signal: AbortSignal) => Promise<T>, problem: (error: RuntimeError) => AppError = toHttpError): Promise<T> {
    try {
      return await this.retrying(String(attributes['switchboard.provider']), (attempt) =>
        this.span(name, { ...attributes, 'switchboard.attempt': attempt }, () => call(AbortSignal.timeout(this.config.runtimes.callTimeoutMs))),
      );
    } catch (error) {
      const runtimeError = asRuntimeError(error);
      logProviderFailure(runtimeError, 'provider call failed');
      throw problem(runtimeError);
    }
  }

  /**
   * The one retry loop, for calls and turn streams alike: repeats `attempt`
   * while its failure is retryable, provably did nothing at the provider
   * (`turnAccepted: false`), `stillRetryable` agrees (a turn stream: nothing
   * streamed yet, not aborted) and retries are left; backs off in between.
   * Throws the last failure as a RuntimeError; counts every failure.
   */
  async retrying<T>(provider: string, attempt: (attempt: number) => Promise<T>, stillRetryable: () => boolean = () => true): Promise<T> {
    const { maxRetries } = this.config.runtimes.retry;
    for (let n = 0; ; n++) {
      try {
        return await attempt(n);
      } catch (error) {
        const runtimeError = asRuntimeError(error);
        this.metrics.providerErrors.inc({ provider, code: runtimeError.kind });
        if (!(runtimeError.retryable && !runtimeError.turnAccepted && n < maxRetries && stillRetryable())) throw runtimeError;
        await this.backoff(runtimeError, n);
      }
    }
  }

  private async backoff(error: RuntimeError, attempt: number): Promise<void> {
    const exponential = this.config.runtimes.retry.baseDelayMs * 2 ** attempt;
    const delay = error.retryAfterSeconds !== undefined ? Math.min(error.retryAfterSeconds * 1000, 30_000) : exponential;
    // Full jitter keeps replicas from retrying in lockstep.
    await new Promise((resolve) => setTimeout(resolve, delay / 2 + Math.random() * (delay / 2)));
  }

  async span<T>(name: string, attributes: Attributes, work: () => Promise<T>): Promise<T> {
    return tracer.startActiveSpan(name, { attributes }, async (span) => {
      try {
        return await work();
      } catch (error) {
        span.setStatus({ code: SpanStatusCode.ERROR, message: isRuntimeError(error) ? error.kind : 'error' });
        throw error;
      } finally {
        span.end();
      }
    });
  }
}

/** Anything an adapter throws, as a RuntimeError (a non-RuntimeError is an adapter bug). */
export function asRuntimeError(error: unknown): RuntimeError {
  if (isRuntimeError(error)) return error;
  logger.error({ err: error }, 'a provider adapter threw something other than a RuntimeError');
  return new RuntimeError('provider_error', 'the provider adapter failed unexpectedly', { cause: error });
}
