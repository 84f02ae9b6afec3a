import { Module, type DynamicModule } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, DiscoveryModule } from '@nestjs/core';
import type { AppConfig } from '#libs/config';
import { Database } from '#libs/persistence';
import { ApiKeysController } from './api-keys/api-keys.controller.js';
import { ApiKeysService } from './api-keys/api-keys.service.js';
import { appConfigToken } from './app.tokens.js';
import { HealthController } from './health/health.controller.js';
import { ConsoleController } from './console/console.controller.js';
import { ConsoleSignIn } from './console/console-sign-in.js';
import { DocsController } from './http/docs.controller.js';
import { OpenApiDocument } from './http/openapi.js';
import { ProblemDetailsFilter } from './http/problem-details.filter.js';
import { ValidationGuard } from './http/validation.guard.js';
import { AuthGuard } from './identity/auth.guard.js';
import { ApiKeyCache } from './identity/api-key-cache.js';
import { CredentialResolver } from './identity/credential-resolver.js';
import { MeController } from './identity/me.controller.js';
import { OperatorKey } from './identity/operator-key.js';
import { Metrics } from './metrics/metrics.js';
import { TenantsController } from './tenants/tenants.controller.js';
import { TenantsService } from './tenants/tenants.service.js';
import { TargetAccess } from './target-grants/target-access.js';
import { TargetGrantsController } from './target-grants/target-grants.controller.js';
import { TargetGrantsService } from './target-grants/target-grants.service.js';
import { AgentsController } from './agents/agents.controller.js';
import { LimitEnforcer } from './limits/limit-enforcer.js';
import { LimitMetrics } from './limits/limit-metrics.js';
import { ReplicaTurnGate } from './limits/replica-turn-gate.js';
import { LimitsController } from './limits/limits.controller.js';
import { LimitsService } from './limits/limits.service.js';
import { AuditController } from './audit/audit.controller.js';
import { AuditService } from './audit/audit.service.js';
import { AuditVerification } from './audit/audit-verification.js';
import { AuditCheckpoints } from './audit/audit-checkpoints.js';
import type { AuditIntegrity } from './audit/audit-integrity.js';
import { AuditKeyring } from './audit/audit-keyring.js';
import { AgentTargetChecks } from './agents/agent-target-checks.js';
import { AgentsService } from './agents/agents.service.js';
import { ProviderCalls } from './runtimes/provider-calls.js';
import { ProvidersController } from './runtimes/providers.controller.js';
import { RuntimeMetrics } from './runtimes/runtime-metrics.js';
import { RuntimeRegistry } from './runtimes/runtime-registry.js';
import { SessionTerminator } from './sessions/session-terminator.js';
import { SessionEndListener } from './sessions/session-end-listener.js';
import { InProcessTurnBus, PostgresTurnBus, TurnBus } from './sessions/turns/live/turn-bus.js';
import { TurnCancellations } from './sessions/turns/live/turn-cancellation.js';
import { TurnFollower } from './sessions/turns/live/turn-follower.js';
import { TurnResources } from './sessions/turns/live/turn-resources.js';
import { SessionsController } from './sessions/sessions.controller.js';
import { SessionsService } from './sessions/sessions.service.js';
import { ProvisionedSessions } from './sessions/provisioned-sessions.js';
import { SessionCreates } from './sessions/session-creates.js';
import { TurnClaims } from './sessions/turns/turn-claim.js';
import { TurnExecution } from './sessions/turns/turn-execution.js';
import { TurnSettlement } from './sessions/turns/turn-settlement.js';
import { TurnRepeats } from './sessions/turns/turn-repeats.js';
import { TurnsService } from './sessions/turns/turns.service.js';
import { CostExportService } from './costs/cost-export.service.js';
import { CostsController } from './costs/costs.controller.js';
import { CostsService } from './costs/costs.service.js';
import { MeteringService } from './costs/metering.service.js';
import { SessionReconciliation } from './costs/session-reconciliation.service.js';
import { PriceBookService } from './costs/price-book.service.js';
import { PricesController } from './costs/prices.controller.js';
import { AdminSessionsController } from './admin/admin-sessions.controller.js';
import { AdminSessionsService } from './admin/admin-sessions.service.js';
import { ErasureController } from './erasure/erasure.controller.js';
import { ErasureService } from './erasure/erasure.service.js';
import { TranscriptRetention } from './erasure/transcript-retention.js';
import { LifecycleSweeps } from './lifecycle/lifecycle-sweeps.js';
import { ReplicaPresence } from './lifecycle/replica-presence.js';
import { Reaper } from './lifecycle/reaper.js';
import { TurnAbandonment, turnAbandonedListeners, type TurnAbandonedListener } from './lifecycle/turn-abandonment.js';
import { WebhookDispatcher } from './webhooks/webhook-dispatcher.js';
import { WebhooksController } from './webhooks/webhooks.controller.js';
import { WebhooksService } from './webhooks/webhooks.service.js';

/** What the process builds before Nest starts: config, the open database, the operator key. */
export interface BrokerFoundation {
  config: AppConfig;
  database: Database;
  operatorKey: OperatorKey;
  metrics: Metrics;
  runtimes: RuntimeRegistry;
  audit: AuditIntegrity;
}

@Module({})
export class AppModule {
  static register(foundation: BrokerFoundation): DynamicModule {
    return {
      module: AppModule,
      imports: [DiscoveryModule],
      controllers: [HealthController, DocsController, ConsoleController, MeController, TenantsController, TargetGrantsController, ApiKeysController, ProvidersController, AgentsController, SessionsController, AuditController, PricesController, CostsController, LimitsController, AdminSessionsController, ErasureController, WebhooksController],
      providers: [
        { provide: appConfigToken, useValue: foundation.config },
        { provide: ConsoleSignIn, useValue: new ConsoleSignIn(foundation.config.oidc) },
        { provide: Database, useValue: foundation.database },
        { provide: OperatorKey, useValue: foundation.operatorKey },
        { provide: Metrics, useValue: foundation.metrics },
        { provide: RuntimeRegistry, useValue: foundation.runtimes },
        { provide: AuditKeyring, useValue: foundation.audit.keyring },
        { provide: AuditCheckpoints, useValue: foundation.audit.checkpoints },
        { provide: APP_GUARD, useClass: AuthGuard },
        { provide: APP_GUARD, useClass: ValidationGuard },
        { provide: APP_FILTER, useClass: ProblemDetailsFilter },
        CredentialResolver,
        ApiKeyCache,
        OpenApiDocument,
        TenantsService,
        TargetGrantsService,
        TargetAccess,
        ApiKeysService,
        AgentsService,
        AgentTargetChecks,
        AuditService,
        AuditVerification,
        LimitEnforcer,
        LimitMetrics,
        ReplicaTurnGate,
        LimitsService,
        RuntimeMetrics,
        ProviderCalls,
        SessionTerminator,
        SessionEndListener,
        SessionsService,
        ProvisionedSessions,
        SessionCreates,
        TurnsService,
        TurnClaims,
        TurnExecution,
        TurnSettlement,
        TurnRepeats,
        // The live-turn bus: LISTEN/NOTIFY across replicas on PostgreSQL; in memory on the embedded database (one process).
        { provide: TurnBus, useFactory: (config: AppConfig) => (config.database.kind === 'postgres' ? new PostgresTurnBus(config.database.url) : new InProcessTurnBus()), inject: [appConfigToken] },
        TurnResources,
        TurnFollower,
        TurnCancellations,
        PriceBookService,
        MeteringService,
        SessionReconciliation,
        CostsService,
        CostExportService,
        AdminSessionsService,
        ErasureService,
        TranscriptRetention,
        // Budgets release a lost turn's reservation in the transaction that closes it (see TurnAbandonedListener).
        { provide: turnAbandonedListeners, useFactory: (budgets: LimitEnforcer): TurnAbandonedListener[] => [budgets], inject: [LimitEnforcer] },
        TurnAbandonment,
        ReplicaPresence,
        LifecycleSweeps,
        Reaper,
        WebhooksService,
        WebhookDispatcher,
      ],
    };
  }
}
