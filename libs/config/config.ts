import type { z } from 'zod';
import { crossFieldProblems, environmentSchema, platformLimitSettings, type AuditKeySecret, type Environment, type Profile } from './config.schema.js';
import { loadIdentities, type IdentitiesConfig } from './identities.js';

/** Whether the broker runs on the embedded PGlite database or on a PostgreSQL server. */
export type DatabaseConfig =
  | { kind: 'embedded'; dataDir: string; port: number }
  | {
      kind: 'postgres';
      url: string;
      poolSize: number;
      checkoutTimeoutMs: number;
      /**
       * How long an idle pool connection stays open. pg's own default (10 s)
       * closed the pool in every lull longer than that, and the next burst
       * paid a new connection and the PREPAREs of its hot statements, one
       * round trip each, per connection: the 64-session paced bench's p99
       * overhead read 80–700 ms with it, 60–330 ms with the pool kept
       * (issue 17). Long enough to ride out lulls, short enough that a
       * replica sized for a peak gives its connections back.
       */
      idleTimeoutMs: number;
    };

export interface OidcConfig {
  issuer: string;
  audience: string;
  jwksUrl: string;
  tenantClaim: string;
  rolesClaim: string | undefined;
  /** The longest a token may live: `exp - iat`, or `exp - now` when it has no `iat`; an older `iat` is refused too. */
  maxTokenLifetimeSeconds: number;
  /** How far the issuer's clock may be from ours when checking `exp`, `nbf` and `iat`. */
  clockSkewSeconds: number;
  /** The web console's sign-in (Authorization Code + PKCE, a public client); undefined: API keys only. */
  console: OidcConsoleConfig | undefined;
}

/** Public values: the console's page is told all of them (GET /console/config.json). */
export interface OidcConsoleConfig {
  clientId: string;
  /** Undefined: taken from the issuer's discovery document. */
  authorizationEndpoint: string | undefined;
  tokenEndpoint: string | undefined;
  /** Space-separated, as sent in `scope`. */
  scopes: string;
}

export interface HttpConfig {
  host: string;
  port: number;
  bodyLimitBytes: number;
  shutdownGraceMs: number;
  /** Longest a client may take to send a whole request, headers and body (not the response: streamed turns run on). */
  requestTimeoutMs: number;
  /** Longest a client may take to send the request headers. */
  headersTimeoutMs: number;
  /** How long an idle keep-alive connection stays open. */
  keepAliveTimeoutMs: number;
  /** Reverse proxies in front of the broker whose X-Forwarded-For hop is believed (0: the socket peer is the client). */
  trustProxyHops: number;
}

/**
 * The validated, typed configuration of one broker process. `RuntimeSettings`
 * are the runtimes' own slices (`runtimes.<id>`), typed by the schemas the
 * broker composes in (apps/broker/src/runtimes/broker-config.ts: `BrokerConfig`);
 * code that needs none of them takes the plain `AppConfig`.
 */
export interface AppConfig<RuntimeSettings extends object = object> {
  /** `development` (`npm start`) or `production` (the Docker image): README "Production". */
  profile: Profile;
  http: HttpConfig;
  database: DatabaseConfig;
  adminKey: string | undefined;
  oidc: OidcConfig | undefined;
  logLevel: Environment['LOG_LEVEL'];
  runtimes: RuntimesConfig & RuntimeSettings;
  /** The provider identities agent targets may name (`SWITCHBOARD_IDENTITIES`); empty when none are configured. */
  identities: IdentitiesConfig;
  sessions: { defaultIdleTimeoutSeconds: number; defaultMaxLifetimeSeconds: number };
  /** The operator's limits: what tenants get by default and the most they may set. */
  limits: PlatformLimitsConfig;
  /** How much of a turn's content the broker holds, stores and streams (issue 23 items 4 and 5). */
  content: ContentConfig;
  /** What a turn is assumed to cost when its budget is reserved (settled with the measured cost after it). */
  budgets: { turnEstimateUsd: string };
  /** OpenTelemetry tracing, from the standard OTEL_* variables; undefined = no-op. */
  tracing: { exporter: 'otlp' | 'console'; endpoint: string | undefined; serviceName: string } | undefined;
  audit: AuditConfig;
  webhooks: WebhooksConfig;
  /** Seed a demo tenant, keys and agent on a fresh embedded database. */
  seedDemo: boolean;
  /** Tests only (SWITCHBOARD_TEST_CRASH_POINT): where session creation exits the process, simulating a crash. */
  testCrashPoint: TestCrashPoint | undefined;
}

/** A limit field of the tenant policy that the platform caps. */
export type CeilingedLimit = (typeof platformLimitSettings)[number][0];

export interface PlatformLimitsConfig {
  /** Per limit: what applies when the tenant sets nothing, and the most a tenant or user policy may set (null: none). */
  platform: Record<CeilingedLimit, { default: number | null; ceiling: number | null }>;
  /** Turns in flight on this replica at once (each holds a client connection and a provider stream); null: no cap. */
  maxOpenStreamsPerReplica: number | null;
}

export interface ContentConfig {
  /** A comment line every so often keeps proxies from closing an idle event stream. */
  sseHeartbeatMs: number;
  /** How far an event stream may fall behind its client before the connection is dropped (the turn goes on). */
  sseMaxBufferedBytes: number;
  /** A turn's input (the UTF-8 bytes of its text): more is 413 `payload_too_large`. */
  turnInputMaxBytes: number;
  /** One stored event's data as JSON: an input over it is refused, a provider's event over it truncated. */
  eventContentMaxBytes: number;
  /** One page of `GET /v1/sessions/{id}/events`: the page ends early past it (the cursor continues). */
  eventsPageMaxBytes: number;
}

/** How the audit chain is keyed and anchored (README: Audit integrity). */
export interface AuditConfig {
  /**
   * The chain keys (never stored in the database) and the one new events
   * use. Undefined: a development key, generated once under `devKeyDir`.
   */
  keys: { currentId: string; all: AuditKeySecret[] } | undefined;
  /** Where a development key is kept when no keys are configured (the data dir; `memory://` keeps it in memory). */
  devKeyDir: string;
  /** How often the reaper's leader signs a checkpoint of every chain head that moved; 0 = only on demand. */
  checkpointIntervalMs: number;
  /** How often the reaper's leader verifies every tenant's chain (metric `switchboard_audit_chain_verified`); 0 = never. */
  verifyIntervalMs: number;
}

/** How webhooks are delivered (README: Webhooks). */
export interface WebhooksConfig {
  /** Deliver to loopback, private and link-local addresses too (tests, private networks); and accept plain http, unless `requireHttps`. */
  allowPrivateTargets: boolean;
  /** Only https:// targets, private ones too (the production profile). */
  requireHttps: boolean;
  /** Requests in flight at once on this replica, every tenant together. */
  concurrency: number;
  /** One attempt, from DNS lookup to the answer's status line. */
  requestTimeoutMs: number;
  /** How often an idle replica looks for due deliveries (a change on this replica also wakes it). */
  pollIntervalMs: number;
  /** How long a delivery is retried after its first attempt before the webhook is disabled. */
  retryWindowMs: number;
  /** The first retry's delay; each next one doubles (with jitter), at most an hour. */
  retryBaseMs: number;
}

export type TestCrashPoint = NonNullable<Environment['SWITCHBOARD_TEST_CRASH_POINT']>;

export type RuntimeMode = 'auto' | 'live' | 'emulated' | 'off';
export type ResolvedRuntimeMode = Exclude<RuntimeMode, 'auto'>;

/**
 * Live when the mode says so, or when `auto` finds the runtime's
 * credentials; emulated when `auto` finds none (and emulators are allowed);
 * off otherwise.
 */
export function resolveRuntimeMode(mode: RuntimeMode, hasCredentials: boolean, emulators: 'auto' | 'off'): ResolvedRuntimeMode {
  if (mode !== 'auto') return mode;
  if (hasCredentials) return 'live';
  return emulators === 'auto' ? 'emulated' : 'off';
}

/** What the config needs to know of a runtime beyond its settings: the variables any one of which makes `auto` live. */
export interface RuntimeCredentialNames {
  liveCredentials: readonly string[];
}

/** How the broker reaches the runtimes, and how patiently (each runtime's own settings come from its module). */
export interface RuntimesConfig {
  /** `auto`: a runtime without credentials runs against its in-process emulator. `off`: it is not registered. */
  emulators: 'auto' | 'off';
  /**
   * The mode each runtime will start in, resolved from its `mode` setting and
   * credentials (only the runtimes whose credential names were passed to
   * `loadConfig`). Logged at startup; the production profile allows only live and off.
   */
  modes: Record<string, ResolvedRuntimeMode>;
  /** Where emulators run: on the broker's event loop (default), or each on a worker thread of its own. */
  emulatorPlacement: 'in-process' | 'thread';
  /**
   * Real milliseconds between the events an emulator streams (0: as fast as
   * it can). A demo that streams like an agent thinking, and tests that must
   * act while a turn runs (cancel, resume).
   */
  emulatorPacingMs: number;
  turnTimeoutMs: number;
  /** Timeout of one non-turn provider call (open, stop, status). */
  callTimeoutMs: number;
  /** Broker-side retries of a throttled or unavailable call that the provider did not accept. */
  retry: { maxRetries: number; baseDelayMs: number };
}

/** Raised at boot when the environment is invalid; lists every bad key at once. */
export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** The runtimes' settings schemas, by runtime id: each over the runtime's slice of the environment. */
export type RuntimeSettingsSchemas = Record<string, z.ZodType>;

/** The settings each schema yields, by runtime id. */
export type RuntimeSettingsOf<Schemas extends RuntimeSettingsSchemas> = { [Id in keyof Schemas]: z.output<Schemas[Id]> };

/**
 * Validates the environment: the broker's own variables and each runtime's
 * slice (`runtimeSettings`, passed in by the app: this lib never imports a
 * runtime), every problem of all of them reported at once.
 */
export function loadConfig<Schemas extends RuntimeSettingsSchemas = Record<never, z.ZodType>>(
  source: Record<string, string | undefined>,
  runtimeSettings: Schemas = {} as Schemas,
  runtimeCredentials: Partial<Record<keyof Schemas, RuntimeCredentialNames>> = {},
): AppConfig<RuntimeSettingsOf<Schemas>> {
  const issueText = (issue: z.core.$ZodIssue) => `${issue.path.join('.') || '(environment)'}: ${issue.message}`;
  const parsed = environmentSchema.safeParse(source);
  const runtimes = Object.entries(runtimeSettings).map(([id, schema]) => [id, schema.safeParse(source)] as const);
  const production = parsed.success && parsed.data.SWITCHBOARD_PROFILE === 'production';
  const emulators = (parsed.success ? parsed.data.SWITCHBOARD_EMULATORS : undefined) ?? (production ? 'off' : 'auto');
  const modes = runtimeModes(source, runtimes, runtimeCredentials, emulators);
  const identities = loadIdentities(source);
  const problems = [
    ...identities.problems,
    ...(parsed.success ? [] : parsed.error.issues.map(issueText)),
    ...runtimes.flatMap(([, result]) => (result.success ? [] : result.error.issues.map(issueText))),
    ...crossFieldProblems(source),
    ...(production ? emulatedRuntimeProblems(modes) : []),
  ];
  if (!parsed.success || problems.length > 0) throw new ConfigError(problems);
  const runtimeConfig = Object.fromEntries(runtimes.map(([id, result]) => [id, result.data])) as RuntimeSettingsOf<Schemas>;
  const env = parsed.data;
  return {
    profile: env.SWITCHBOARD_PROFILE,
    http: {
      host: env.HOST,
      port: env.PORT,
      // Production: no endpoint needs more (a turn's input is text; prices and policies are small), and a smaller body is cheaper to refuse.
      bodyLimitBytes: env.BODY_LIMIT ?? (production ? productionBodyLimitBytes : 1024 * 1024),
      shutdownGraceMs: env.SHUTDOWN_GRACE_MS,
      requestTimeoutMs: env.HTTP_REQUEST_TIMEOUT_MS,
      headersTimeoutMs: env.HTTP_HEADERS_TIMEOUT_MS ?? Math.min(10_000, env.HTTP_REQUEST_TIMEOUT_MS),
      keepAliveTimeoutMs: env.HTTP_KEEP_ALIVE_TIMEOUT_MS,
      trustProxyHops: env.HTTP_TRUST_PROXY_HOPS,
    },
    database: env.DATABASE_URL
      ? {
          kind: 'postgres',
          url: env.DATABASE_URL,
          poolSize: env.DATABASE_POOL_SIZE,
          checkoutTimeoutMs: env.DATABASE_POOL_CHECKOUT_TIMEOUT_MS,
          idleTimeoutMs: env.DATABASE_POOL_IDLE_TIMEOUT_MS,
        }
      : { kind: 'embedded', dataDir: env.SWITCHBOARD_DATA_DIR, port: env.SWITCHBOARD_EMBEDDED_DB_PORT },
    adminKey: env.SWITCHBOARD_ADMIN_KEY,
    oidc:
      env.OIDC_ISSUER && env.OIDC_AUDIENCE && env.OIDC_JWKS_URL
        ? {
            issuer: env.OIDC_ISSUER,
            audience: env.OIDC_AUDIENCE,
            jwksUrl: env.OIDC_JWKS_URL,
            tenantClaim: env.OIDC_TENANT_CLAIM,
            rolesClaim: env.OIDC_ROLES_CLAIM,
            maxTokenLifetimeSeconds: env.OIDC_MAX_TOKEN_LIFETIME_SECONDS,
            clockSkewSeconds: env.OIDC_CLOCK_SKEW_SECONDS,
            console: env.OIDC_CONSOLE_CLIENT_ID
              ? {
                  clientId: env.OIDC_CONSOLE_CLIENT_ID,
                  authorizationEndpoint: env.OIDC_AUTHORIZATION_ENDPOINT,
                  tokenEndpoint: env.OIDC_TOKEN_ENDPOINT,
                  scopes: env.OIDC_CONSOLE_SCOPES,
                }
              : undefined,
          }
        : undefined,
    logLevel: env.LOG_LEVEL,
    runtimes: {
      emulators,
      modes,
      emulatorPlacement: env.SWITCHBOARD_EMULATOR_PLACEMENT,
      emulatorPacingMs: env.SWITCHBOARD_EMULATOR_PACING_MS,
      turnTimeoutMs: env.TURN_TIMEOUT_MS,
      callTimeoutMs: env.PROVIDER_CALL_TIMEOUT_MS,
      retry: { maxRetries: env.PROVIDER_MAX_RETRIES, baseDelayMs: env.PROVIDER_RETRY_BASE_MS },
      ...runtimeConfig,
    },
    identities: identities.identities,
    sessions: { defaultIdleTimeoutSeconds: env.DEFAULT_IDLE_TIMEOUT_SECONDS, defaultMaxLifetimeSeconds: env.DEFAULT_MAX_LIFETIME_SECONDS },
    limits: {
      platform: Object.fromEntries(
        platformLimitSettings.map(([field, suffix]) => {
          const ceiling = env[`LIMIT_CEILING_${suffix}`];
          const fallback = env[`LIMIT_DEFAULT_${suffix}`];
          return [field, { ceiling, default: fallback === undefined ? ceiling : fallback }];
        }),
      ) as PlatformLimitsConfig['platform'],
      maxOpenStreamsPerReplica: env.LIMIT_MAX_OPEN_STREAMS_PER_REPLICA,
    },
    content: {
      sseHeartbeatMs: env.SSE_HEARTBEAT_MS,
      sseMaxBufferedBytes: env.SSE_MAX_BUFFERED_BYTES,
      turnInputMaxBytes: env.TURN_INPUT_MAX_BYTES,
      eventContentMaxBytes: env.EVENT_CONTENT_MAX_BYTES,
      eventsPageMaxBytes: env.EVENTS_PAGE_MAX_BYTES,
    },
    budgets: { turnEstimateUsd: env.TURN_COST_ESTIMATE_USD },
    audit: {
      keys: env.SWITCHBOARD_AUDIT_KEYS
        ? { currentId: env.SWITCHBOARD_AUDIT_KEY_ID ?? env.SWITCHBOARD_AUDIT_KEYS[0].id, all: env.SWITCHBOARD_AUDIT_KEYS }
        : undefined,
      devKeyDir: env.SWITCHBOARD_DATA_DIR,
      checkpointIntervalMs: env.SWITCHBOARD_AUDIT_CHECKPOINT_INTERVAL_SECONDS * 1000,
      verifyIntervalMs: env.SWITCHBOARD_AUDIT_VERIFY_INTERVAL_SECONDS * 1000,
    },
    seedDemo: (env.SWITCHBOARD_SEED_DEMO ?? (production ? 'off' : 'auto')) === 'auto' && !env.DATABASE_URL,
    webhooks: {
      requireHttps: production,
      allowPrivateTargets: env.SWITCHBOARD_WEBHOOKS_ALLOW_PRIVATE_TARGETS === 'true',
      concurrency: env.SWITCHBOARD_WEBHOOKS_CONCURRENCY,
      requestTimeoutMs: env.SWITCHBOARD_WEBHOOKS_TIMEOUT_MS,
      pollIntervalMs: env.SWITCHBOARD_WEBHOOKS_POLL_MS,
      retryWindowMs: env.SWITCHBOARD_WEBHOOKS_RETRY_WINDOW_SECONDS * 1000,
      retryBaseMs: env.SWITCHBOARD_WEBHOOKS_RETRY_BASE_MS,
    },
    tracing: tracingConfig(env),
    testCrashPoint: env.SWITCHBOARD_TEST_CRASH_POINT,
  };
}

/** The production profile's default BODY_LIMIT (development: 1mb). */
export const productionBodyLimitBytes = 256 * 1024;

/** Each runtime's mode as it will start, for the runtimes whose settings parsed and whose credential names are known. */
function runtimeModes(
  source: Record<string, string | undefined>,
  runtimes: ReadonlyArray<readonly [string, z.ZodSafeParseResult<unknown>]>,
  credentials: Partial<Record<string, RuntimeCredentialNames>>,
  emulators: 'auto' | 'off',
): Record<string, ResolvedRuntimeMode> {
  const modes: Record<string, ResolvedRuntimeMode> = {};
  for (const [id, result] of runtimes) {
    const names = credentials[id]?.liveCredentials;
    const mode = result.success ? (result.data as { mode?: unknown }).mode : undefined;
    if (!names || typeof mode !== 'string') continue;
    modes[id] = resolveRuntimeMode(mode as RuntimeMode, names.some((name) => (source[name] ?? '').trim() !== ''), emulators);
  }
  return modes;
}

/** The production profile runs no emulator: each runtime is live or off. */
function emulatedRuntimeProblems(modes: Record<string, ResolvedRuntimeMode>): string[] {
  return Object.entries(modes)
    .filter(([, mode]) => mode === 'emulated')
    .map(([id]) => `SWITCHBOARD_${id.toUpperCase()}_MODE: runtime ${id} would run emulated; the production profile allows only live (with its credentials) or off`);
}

/**
 * Tracing is on when an OTLP endpoint or an exporter is named, and
 * OTEL_SDK_DISABLED is not true (the variables of the OpenTelemetry spec).
 */
function tracingConfig(env: Environment): AppConfig['tracing'] {
  if (env.OTEL_SDK_DISABLED === 'true' || env.OTEL_TRACES_EXPORTER === 'none') return undefined;
  const endpoint =
    env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ??
    (env.OTEL_EXPORTER_OTLP_ENDPOINT ? `${env.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/$/, '')}/v1/traces` : undefined);
  if (env.OTEL_TRACES_EXPORTER === 'console') return { exporter: 'console', endpoint: undefined, serviceName: env.OTEL_SERVICE_NAME };
  if (env.OTEL_TRACES_EXPORTER === 'otlp' || endpoint) return { exporter: 'otlp', endpoint, serviceName: env.OTEL_SERVICE_NAME };
  return undefined;
}
