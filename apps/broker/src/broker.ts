import 'reflect-metadata';
import { createRequire } from 'node:module';
import { getHeapStatistics } from 'node:v8';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { AppConfig } from '#libs/config';
import { runWithRequestContext } from '#libs/request-context';
import { AppModule } from './app.module.js';
import { prepareAuditIntegrity, type AuditIntegrity } from './audit/audit-integrity.js';
import { openDatabase, type OpenedDatabase } from './database/open-database.js';
import { consoleFiles } from './console/console-files.js';
import { ConsoleSignIn } from './console/console-sign-in.js';
import { configureHttpServer } from './http/http-server.js';
import { sendProblem, toAppError } from './http/problem-details.js';
import { assignRequestId, requestIdOf } from './http/request-id.js';
import { OperatorKey } from './identity/operator-key.js';
import { configureLogger, logger, NestPinoLogger } from './logging/logger.js';
import { Metrics, routeTemplate } from './metrics/metrics.js';
import type { BrokerConfig } from './runtimes/broker-config.js';
import { RuntimeRegistry } from './runtimes/runtime-registry.js';
import { Reaper } from './lifecycle/reaper.js';
import { WebhookDispatcher } from './webhooks/webhook-dispatcher.js';
import { ReplicaPresence } from './lifecycle/replica-presence.js';
import { SessionEndListener } from './sessions/session-end-listener.js';
import { seedDemo, type DemoSeed } from './demo/demo-seed.js';
import { startTracing } from './tracing/tracing.js';

export interface RunningBroker {
  /** `http://127.0.0.1:<port>` */
  url: string;
  app: NestExpressApplication;
  database: OpenedDatabase;
  runtimes: RuntimeRegistry;
  /** The operator key generated on a fresh database when none was configured (shown once). */
  generatedOperatorKey: string | undefined;
  /** The demo tenant's keys, seeded on a fresh embedded database (shown once). */
  demo: DemoSeed | undefined;
  /** The audit keyring and checkpointer (tests chain events exactly as the broker does with it). */
  audit: AuditIntegrity;
  startedInMs: number;
  /** Drains in-flight requests (up to the grace period), then closes the database. */
  close(): Promise<void>;
}

/** Builds and starts one broker: database, migrations, operator key, HTTP. Used by main and by the tests. */
export async function startBroker(config: BrokerConfig): Promise<RunningBroker> {
  const started = performance.now();
  configureLogger(config.logLevel);
  const modes = Object.entries(config.runtimes.modes).map(([id, mode]) => `${id}=${mode}`).join(', ');
  logger.info({ profile: config.profile, runtimeModes: config.runtimes.modes }, `profile ${config.profile}; runtimes: ${modes || 'none'}`);
  const stopTracing = await startTracing(config.tracing);
  // The runtimes (their SDKs and emulators) start while the database opens and
  // migrates: neither needs the other, and the embedded database's WASM
  // compiles on V8's background threads meanwhile. Settled into a value so a
  // failure waits for its turn below instead of going unhandled.
  const runtimesStarting = RuntimeRegistry.start(config).then(
    (registry) => ({ registry }),
    (error: unknown) => ({ error }),
  );
  let database: OpenedDatabase;
  try {
    database = await openDatabase(config);
  } catch (error) {
    const outcome = await runtimesStarting;
    if ('registry' in outcome) await outcome.registry.close();
    await stopTracing();
    throw error;
  }
  let runtimes: RuntimeRegistry | undefined;
  try {
    const outcome = await runtimesStarting;
    if ('error' in outcome) throw outcome.error;
    runtimes = outcome.registry;
    if (database.appliedMigrations.length > 0) logger.info({ migrations: database.appliedMigrations }, 'applied database migrations');
    if (database.addedPriceBookVersions.length > 0) logger.info({ versions: database.addedPriceBookVersions }, 'priced new runtimes from their list prices');
    const audit = await prepareAuditIntegrity(config, database);
    const { key: operatorKey, generatedSecret } = await OperatorKey.load(database.database, config.adminKey);
    const metrics = new Metrics();
    const demo = config.seedDemo ? await seedDemo(database.database, runtimes) : undefined;
    const app = await NestFactory.create<NestExpressApplication>(
      AppModule.register({ config, database: database.database, operatorKey, metrics, runtimes, audit }),
      { bodyParser: false, logger: new NestPinoLogger(), abortOnError: false },
    );
    installHttpPipeline(app, config, metrics);
    configureHttpServer(app.getHttpServer(), config.http);
    // Other replicas see this one alive before it claims a turn (a dead replica's turns are ended for it).
    const presence = app.get(ReplicaPresence);
    await presence.start();
    await app.listen(config.http.port, config.http.host);
    // Sweeps begin once the broker serves; they stop before the database closes.
    const reaper = app.get(Reaper);
    reaper.start();
    // Turns running here end at once when another replica terminates their session.
    const sessionEnds = app.get(SessionEndListener);
    await sessionEnds.start();
    // Every replica delivers the webhook outbox (leases keep them apart); attempts in flight settle before the database closes.
    const webhooks = app.get(WebhookDispatcher);
    webhooks.start();
    const server = app.getHttpServer();
    const address = server.address() as AddressInfo;
    const host = config.http.host === '0.0.0.0' || config.http.host === '::' ? '127.0.0.1' : config.http.host;
    const startedInMs = Math.round(performance.now() - started);
    logger.info(
      { url: `http://${host}:${address.port}`, database: config.database.kind, startedInMs, heapLimitMiB: Math.round(getHeapStatistics().heap_size_limit / 1024 ** 2) },
      `Switchboard is listening on http://${host}:${address.port} (${config.database.kind} database)`,
    );
    return {
      url: `http://${host}:${address.port}`,
      app,
      database,
      generatedOperatorKey: generatedSecret,
      demo,
      audit,
      startedInMs,
      runtimes,
      close: async () => {
        await reaper.stop();
        await sessionEnds.stop();
        await webhooks.stop();
        try {
          await drainAndClose(app, server, database, runtimes!, config.http.shutdownGraceMs);
        } finally {
          // After the drain: turns still settling here must not look orphaned to other replicas.
          await presence.stop();
        }
        await stopTracing();
      },
    };
  } catch (error) {
    await runtimes?.close();
    await database.close().catch(() => undefined);
    await stopTracing();
    throw error;
  }
}

/**
 * Express middleware that runs before Nest's router: request id, metrics,
 * JSON body parsing with the configured limit (its errors become problem+json
 * here, before Nest), the request context, the docs assets and the console's files.
 */
function installHttpPipeline(app: NestExpressApplication, config: AppConfig, metrics: Metrics): void {
  app.disable('x-powered-by');
  // Only the hops the operator runs: a higher count would let a client forge its address in X-Forwarded-For.
  if (config.http.trustProxyHops > 0) app.set('trust proxy', config.http.trustProxyHops);
  app.set('etag', false);
  app.set('query parser', 'simple');
  app.use(assignRequestId);
  app.use(metrics.middleware);
  app.use((request: Request, response: Response, next: NextFunction) => {
    const began = process.hrtime.bigint();
    response.once('finish', () =>
      logger.info(
        {
          requestId: requestIdOf(request),
          method: request.method,
          route: routeTemplate(request),
          status: response.statusCode,
          durationMs: Number(process.hrtime.bigint() - began) / 1e6,
        },
        'request',
      ),
    );
    next();
  });
  app.use(express.json({ limit: config.http.bodyLimitBytes, strict: true, type: ['application/json', 'application/*+json'] }));
  app.use((error: unknown, request: Request, response: Response, _next: NextFunction) => {
    sendProblem(response, toAppError(error), requestIdOf(request));
  });
  // After body parsing: body-parser's stream callbacks would otherwise lose the async context.
  app.use((request: Request, _response: Response, next: NextFunction) => {
    runWithRequestContext({ requestId: requestIdOf(request), principal: undefined }, next);
  });
  // The package's own path helper, not its index: the index evaluates the 2 MB UI bundle in Node (~10 MiB of heap, ~100 ms).
  const swaggerUiDir = (createRequire(import.meta.url)('swagger-ui-dist/absolute-path.js') as () => string)();
  app.use('/docs/assets', express.static(swaggerUiDir, { index: false, maxAge: '1h' }));
  app.use('/console', consoleFiles(app.get(ConsoleSignIn)));
}

async function drainAndClose(
  app: NestExpressApplication,
  server: Server,
  database: OpenedDatabase,
  runtimes: RuntimeRegistry,
  graceMs: number,
): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  const deadline = setTimeout(() => {
    logger.warn({ graceMs }, 'grace period over: closing the connections still open');
    server.closeAllConnections();
  }, graceMs);
  await closed;
  clearTimeout(deadline);
  await app.close();
  await runtimes.close();
  await database.close();
}
