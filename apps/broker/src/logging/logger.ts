import type { LoggerService } from '@nestjs/common';
import { pino, type Logger } from 'pino';
import { currentRequestContext } from '#libs/request-context';
import { errorSerializer } from './error-serializer.js';

/**
 * The process logger: JSON lines on stdout. Every line written while a
 * request is being served carries its request id and tenant. Logged errors
 * never carry database content (see error-serializer.ts), and request lines
 * name the route template, never the URL: paths and query strings carry
 * user ids and filters.
 */
export let logger: Logger = createLogger('info');

export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: 'switchboard' },
    timestamp: pino.stdTimeFunctions.isoTime,
    serializers: { err: errorSerializer },
    mixin() {
      const context = currentRequestContext();
      if (!context) return {};
      const principal = context.principal;
      return {
        requestId: context.requestId,
        ...(principal?.kind === 'tenant' ? { tenant: principal.tenantId } : {}),
      };
    },
  });
}

export function configureLogger(level: string): Logger {
  logger = createLogger(level);
  return logger;
}

/** Routes NestJS's own log lines into the same JSON stream. */
export class NestPinoLogger implements LoggerService {
  /** Nest's per-route and per-module boot lines are noise at info level. */
  private static readonly chattyContexts = new Set(['RoutesResolver', 'RouterExplorer', 'InstanceLoader', 'NestFactory', 'NestApplication']);

  log(message: unknown, context?: string) {
    if (context && NestPinoLogger.chattyContexts.has(context)) logger.debug({ context }, String(message));
    else logger.info({ context }, String(message));
  }
  error(message: unknown, trace?: string, context?: string) {
    logger.error({ context, trace }, String(message));
  }
  warn(message: unknown, context?: string) {
    logger.warn({ context }, String(message));
  }
  debug(message: unknown, context?: string) {
    logger.debug({ context }, String(message));
  }
  verbose(message: unknown, context?: string) {
    logger.trace({ context }, String(message));
  }
}
