import { Inject, Injectable } from '@nestjs/common';
import { trace, SpanStatusCode, type Attributes } from '@opentelemetry/api';
import type { AppConfig } from '#libs/config';
import { AppError } from '#libs/errors';
import { isRuntimeError, RuntimeError } from '#libs/runtime-spec';
import { appConfigToken } from '../app.tokens.js';
import { logger } from '../logging/logger.js';
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

  /** Runs `call` with retries and a per-attempt timeout; maps a final failure to an AppError. */
  async call<T>(name: string, attributes: Attributes, call: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const { maxRetries } = this.config.runtimes.retry;
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.span(name, { ...attributes, 'switchboard.attempt': attempt }, () =>
          call(AbortSignal.timeout(this.config.runtimes.callTimeoutMs)),
        );
      } catch (error) {
        const runtimeError = asRuntimeError(error);
        this.metrics.providerErrors.inc({ provider: String(attributes['switchboard.provider']), code: runtimeError.kind });
        if (!this.mayRetry(runtimeError, attempt, maxRetries)) throw toHttpError(runtimeError);
        await this.backoff(runtimeError, attempt);
      }
    }
  }

  mayRetry(error: RuntimeError, attempt: number, maxRetries: number = this.config.runtimes.retry.maxRetries): boolean {
    return error.retryable && !error.turnAccepted && attempt < maxRetries;
  }

  async backoff(error: RuntimeError, attempt: number): Promise<void> {
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

/**
 * What a client is told about a provider failure, by kind only. The adapter's
 * message carries upstream text (hosts, addresses, transport errors, the
 * provider's own wording): it goes to the log, never to the client.
 */
export const providerFailureMessages: Record<RuntimeError['kind'], string> = {
  throttled: 'the provider is throttling; retries did not get through',
  not_found: 'the provider no longer knows this session or target',
  invalid_target: "the provider refused the agent's target",
  unavailable: 'the provider is unavailable',
  timeout: 'the provider did not answer in time',
  stream_truncated: 'the provider stream ended before the turn did',
  unsupported: 'the provider does not support this',
  provider_error: 'the provider failed',
};

/** A provider's own error code, when it looks like one (a token, not prose that could carry a host or address). */
const providerCodeShape = /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/;

/** A provider failure, as the client sees it (API.md §2): never a 4xx, never the upstream text. */
export function toHttpError(error: RuntimeError): AppError {
  logger.warn({ err: error, kind: error.kind, providerCode: error.providerCode, providerRequestId: error.providerRequestId }, 'provider call failed');
  const providerCode = error.providerCode !== undefined && providerCodeShape.test(error.providerCode) ? error.providerCode : undefined;
  const extensions: Record<string, unknown> = { providerCode, providerRequestId: error.providerRequestId };
  const detail = providerFailureMessages[error.kind];
  switch (error.kind) {
    case 'throttled':
    case 'unavailable':
      return new AppError('provider_unavailable', detail, { ...extensions, retryAfterSeconds: error.retryAfterSeconds ?? 5 });
    case 'timeout':
      return new AppError('provider_timeout', detail, extensions);
    default:
      return new AppError('provider_error', detail, extensions);
  }
}
