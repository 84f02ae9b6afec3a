import { context, trace } from '@opentelemetry/api';
import type { AppConfig } from '#libs/config';

/**
 * Registers an OpenTelemetry tracer provider when tracing is configured;
 * otherwise the API stays the built-in no-op and spans cost nothing. Spans
 * carry tenant, session, provider and provider session ids, never message
 * content. Returns a shutdown that flushes pending spans. The SDK and its
 * exporter load only when tracing is configured (they are ~4 MiB of heap).
 */
export async function startTracing(config: AppConfig['tracing']): Promise<() => Promise<void>> {
  if (!config) return async () => undefined;
  const [{ AsyncLocalStorageContextManager }, { OTLPTraceExporter }, { resourceFromAttributes }, { BatchSpanProcessor, ConsoleSpanExporter, TracerProvider }] =
    await Promise.all([
      import('@opentelemetry/context-async-hooks'),
      import('@opentelemetry/exporter-trace-otlp-http'),
      import('@opentelemetry/resources'),
      import('@opentelemetry/sdk-trace'),
    ]);
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
