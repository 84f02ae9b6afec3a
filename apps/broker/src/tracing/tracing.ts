import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, ConsoleSpanExporter, TracerProvider } from '@opentelemetry/sdk-trace';
import type { AppConfig } from '#libs/config';

/**
 * Registers an OpenTelemetry tracer provider when tracing is configured;
 * otherwise the API stays the built-in no-op and spans cost nothing. Spans
 * carry tenant, session, provider and provider session ids, never message
 * content. Returns a shutdown that flushes pending spans.
 */
export function startTracing(config: AppConfig['tracing']): () => Promise<void> {
  if (!config) return async () => undefined;
  const exporter = config.exporter === 'console' ? new ConsoleSpanExporter() : new OTLPTraceExporter({ url: config.endpoint });
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': config.serviceName }),
    spanProcessors: [new BatchSpanProcessor({ exporter })],
  });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  trace.setGlobalTracerProvider(provider);
  return async () => {
    await provider.shutdown();
    trace.disable();
    context.disable();
  };
}
