import { z } from 'zod';

const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** Parses sizes such as `1mb`, `512kb` or a plain byte count. */
const byteSize = z
  .string()
  .trim()
  .regex(/^\d+(\.\d+)?\s*(b|kb|mb|gb)?$/i, 'must be a byte count such as 1048576, 512kb or 1mb')
  .transform((text) => {
    const match = /^(\d+(?:\.\d+)?)\s*(b|kb|mb|gb)?$/i.exec(text)!;
    const unit = (match[2] ?? 'b').toLowerCase();
    const factor = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 }[unit as 'b' | 'kb' | 'mb' | 'gb'];
    return Math.floor(Number(match[1]) * factor);
  });

/** A text variable where empty means unset. */
export const optionalText = z
  .string()
  .trim()
  .transform((value) => (value === '' ? undefined : value))
  .optional();

const port = z.coerce.number().int().min(0).max(65535);

/** An audit chain key id: short, printable, safe in a log line and a JWK `kid`. */
const auditKeyIdPattern = /^[A-Za-z0-9._-]{1,64}$/;
const base64Pattern = /^[A-Za-z0-9+/_-]+={0,2}$/;
/** RFC 2104 §3: an HMAC key shorter than the hash output (32 bytes for SHA-256) weakens it. */
export const minimumAuditKeyBytes = 32;

export interface AuditKeySecret {
  id: string;
  secret: Buffer;
}

/**
 * Parses `kid:base64secret[,kid:base64secret…]` (commas or newlines between
 * entries). Returns the keys, or every problem found (never a secret in them).
 */
export function parseAuditKeys(text: string): { keys: AuditKeySecret[]; problems: string[] } {
  const keys: AuditKeySecret[] = [];
  const problems: string[] = [];
  const entries = text.split(/[,\n]/).map((entry) => entry.trim()).filter((entry) => entry !== '');
  if (entries.length === 0) problems.push('must list at least one key as keyId:base64secret');
  for (const [index, entry] of entries.entries()) {
    const separator = entry.indexOf(':');
    const id = separator < 0 ? '' : entry.slice(0, separator);
    const encoded = separator < 0 ? '' : entry.slice(separator + 1);
    const secret = base64Pattern.test(encoded) ? Buffer.from(encoded, 'base64') : Buffer.alloc(0);
    if (!auditKeyIdPattern.test(id)) problems.push(`entry ${index + 1}: must be keyId:base64secret, keyId of 1-64 letters, digits, '.', '_' or '-'`);
    else if (keys.some((key) => key.id === id)) problems.push(`entry ${index + 1}: key id "${id}" is listed twice`);
    else if (secret.length < minimumAuditKeyBytes) problems.push(`key "${id}": the secret must be base64 of at least ${minimumAuditKeyBytes} random bytes`);
    else keys.push({ id, secret });
  }
  return { keys, problems };
}

const loopbackHosts = new Set(['127.0.0.1', '[::1]', 'localhost']);

/**
 * A provider base URL the operator overrides (the platform credential goes
 * there): https, no user info, no query or fragment. Plain http only on
 * loopback, for a local emulator (`npm run emulator -- <runtime>`).
 */
export const providerBaseUrl = z.url({ protocol: /^https?$/, error: 'must be an https URL' }).superRefine((text, context) => {
  const url = new URL(text);
  if (url.username !== '' || url.password !== '') context.addIssue({ code: 'custom', message: 'must not carry user info' });
  if (url.search !== '' || url.hash !== '') context.addIssue({ code: 'custom', message: 'must not carry a query or fragment' });
  if (url.protocol === 'http:' && !loopbackHosts.has(url.hostname)) context.addIssue({ code: 'custom', message: 'must be https (plain http only to a loopback emulator)' });
});

/**
 * A platform limit: a count, or `none` for no platform limit at all (not
 * recommended: then a tenant that sets nothing has no limit). Empty means
 * unset, so the default applies.
 */
const platformLimit = (fallback: number) =>
  z
    .string()
    .trim()
    .transform((value) => (value === '' ? String(fallback) : value))
    .pipe(z.union([z.literal('none').transform(() => null), z.coerce.number<string>().int().min(0).max(10_000_000)]))
    .optional()
    .transform((value) => (value === undefined ? fallback : value));

/** A platform default for one limit; unset means the limit's ceiling. */
const platformDefault = optionalText.pipe(z.union([z.literal('none').transform(() => null), z.coerce.number<string>().int().min(0).max(10_000_000)]).optional());

/**
 * The limits with a platform ceiling: `[policy field, environment suffix, default ceiling]`.
 * `LIMIT_CEILING_<suffix>` caps what a tenant may set; `LIMIT_DEFAULT_<suffix>`
 * applies when the tenant sets nothing (README: Platform limits).
 */
export const platformLimitSettings = [
  ['maxActiveSessionsPerUser', 'ACTIVE_SESSIONS_PER_USER', 20],
  ['maxActiveSessionsPerTenant', 'ACTIVE_SESSIONS_PER_TENANT', 500],
  ['sessionCreatesPerMinutePerUser', 'SESSION_CREATES_PER_MINUTE_PER_USER', 60],
  ['turnsPerMinutePerUser', 'TURNS_PER_MINUTE_PER_USER', 120],
  ['maxOpenStreamsPerTenant', 'OPEN_STREAMS_PER_TENANT', 200],
] as const;

export const profiles = ['development', 'production'] as const;
export type Profile = (typeof profiles)[number];

/** `auto`: live with credentials, else emulated (when emulators are allowed). */
export const runtimeMode = z.enum(['auto', 'live', 'emulated', 'off']).default('auto');

/**
 * Every environment variable Switchboard reads but the runtimes' own: each
 * runtime module declares its slice (`RuntimeModule.settings`), and
 * `loadConfig` validates them together. Nothing else in the code base reads
 * `process.env` (see `loadConfig`).
 */
export const environmentSchema = z
  .object({
    /** `production` (the Docker image's default) refuses unsafe settings and tightens defaults (README: Production). */
    SWITCHBOARD_PROFILE: z.enum(profiles).default('development'),
    PORT: port.default(3000),
    HOST: z.string().trim().min(1).default('0.0.0.0'),
    DATABASE_URL: optionalText.pipe(
      z.url({ protocol: /^postgres(ql)?$/, error: 'must be a postgres:// or postgresql:// URL' }).optional(),
    ),
    DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
    /** How long a request waits for a free connection before it is answered 503 database_busy. */
    DATABASE_POOL_CHECKOUT_TIMEOUT_MS: z.coerce.number().int().min(10).max(600_000).default(10_000),
    /** How long an idle pool connection is kept (0: for the process's life). See `idleTimeoutMs` in config.ts. */
    DATABASE_POOL_IDLE_TIMEOUT_MS: z.coerce.number().int().min(0).max(86_400_000).default(300_000),
    SWITCHBOARD_DATA_DIR: z.string().trim().min(1).default('./.switchboard'),
    SWITCHBOARD_EMBEDDED_DB_PORT: port.default(0),
    SWITCHBOARD_ADMIN_KEY: optionalText.pipe(z.string().min(32, 'must be at least 32 characters').optional()),
    OIDC_ISSUER: optionalText,
    OIDC_AUDIENCE: optionalText,
    OIDC_JWKS_URL: optionalText.pipe(z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional()),
    OIDC_TENANT_CLAIM: z.string().trim().min(1).default('tid'),
    OIDC_ROLES_CLAIM: optionalText,
    OIDC_MAX_TOKEN_LIFETIME_SECONDS: z.coerce.number().int().min(60).max(2_592_000).default(86_400),
    OIDC_CLOCK_SKEW_SECONDS: z.coerce.number().int().min(0).max(600).default(60),
    /** The web console's own OIDC client (public, Authorization Code + PKCE); unset: the console offers API keys only. */
    OIDC_CONSOLE_CLIENT_ID: optionalText,
    /** Unset: read from the issuer's discovery document (`<OIDC_ISSUER>/.well-known/openid-configuration`). */
    OIDC_AUTHORIZATION_ENDPOINT: optionalText.pipe(z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional()),
    OIDC_TOKEN_ENDPOINT: optionalText.pipe(z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional()),
    OIDC_CONSOLE_SCOPES: z.string().trim().regex(/^[\x21\x23-\x5b\x5d-\x7e]+( [\x21\x23-\x5b\x5d-\x7e]+)*$/, 'space-separated scope names').default('openid'),
    LOG_LEVEL: z.enum(logLevels).default('info'),
    // The default depends on the profile (see loadConfig).
    BODY_LIMIT: byteSize.optional(),
    SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).max(600_000).default(10_000),
    HTTP_REQUEST_TIMEOUT_MS: z.coerce.number().int().min(1000).max(3_600_000).default(30_000),
    HTTP_HEADERS_TIMEOUT_MS: z.coerce.number().int().min(1000).max(3_600_000).optional(),
    HTTP_KEEP_ALIVE_TIMEOUT_MS: z.coerce.number().int().min(1000).max(600_000).default(5_000),
    HTTP_TRUST_PROXY_HOPS: z.coerce.number().int().min(0).max(10).default(0),
    // Both default by profile: on in development, off in production (see loadConfig).
    SWITCHBOARD_EMULATORS: z.enum(['auto', 'off']).optional(),
    SWITCHBOARD_EMULATOR_PLACEMENT: z.enum(['in-process', 'thread']).default('in-process'),
    SWITCHBOARD_EMULATOR_PACING_MS: z.coerce.number().int().min(0).max(10_000).default(0),
    SWITCHBOARD_SEED_DEMO: z.enum(['auto', 'off']).optional(),
    OTEL_SDK_DISABLED: z.enum(['true', 'false']).default('false'),
    OTEL_TRACES_EXPORTER: z.enum(['otlp', 'console', 'none']).optional(),
    OTEL_EXPORTER_OTLP_ENDPOINT: optionalText.pipe(z.url({ protocol: /^https?$/ }).optional()),
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: optionalText.pipe(z.url({ protocol: /^https?$/ }).optional()),
    OTEL_SERVICE_NAME: z.string().trim().min(1).default('switchboard'),
    SWITCHBOARD_AUDIT_KEYS: optionalText.pipe(
      z
        .string()
        .transform((text, context) => {
          const { keys, problems } = parseAuditKeys(text);
          for (const problem of problems) context.addIssue({ code: 'custom', message: problem });
          return keys;
        })
        .optional(),
    ),
    SWITCHBOARD_AUDIT_KEY_ID: optionalText.pipe(z.string().regex(auditKeyIdPattern, 'must be a key id listed in SWITCHBOARD_AUDIT_KEYS').optional()),
    SWITCHBOARD_AUDIT_CHECKPOINT_INTERVAL_SECONDS: z.coerce.number().int().min(0).max(86_400).default(300),
    SWITCHBOARD_AUDIT_VERIFY_INTERVAL_SECONDS: z.coerce.number().int().min(0).max(604_800).default(3600),
    SWITCHBOARD_WEBHOOKS_ALLOW_PRIVATE_TARGETS: z.enum(['true', 'false']).default('false'),
    SWITCHBOARD_WEBHOOKS_CONCURRENCY: z.coerce.number().int().min(1).max(256).default(16),
    SWITCHBOARD_WEBHOOKS_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(15_000),
    SWITCHBOARD_WEBHOOKS_POLL_MS: z.coerce.number().int().min(10).max(60_000).default(250),
    SWITCHBOARD_WEBHOOKS_RETRY_WINDOW_SECONDS: z.coerce.number().int().min(1).max(30 * 86_400).default(86_400),
    SWITCHBOARD_WEBHOOKS_RETRY_BASE_MS: z.coerce.number().int().min(1).max(3_600_000).default(5_000),
    SSE_HEARTBEAT_MS: z.coerce.number().int().min(50).max(300_000).default(15_000),
    SSE_MAX_BUFFERED_BYTES: byteSize.pipe(z.number().int().min(16 * 1024, 'must be at least 16kb')).default(1024 * 1024),
    TURN_INPUT_MAX_BYTES: byteSize.pipe(z.number().int().min(1024, 'must be at least 1kb')).default(1024 * 1024),
    EVENT_CONTENT_MAX_BYTES: byteSize.pipe(z.number().int().min(16 * 1024, 'must be at least 16kb')).default(2 * 1024 * 1024),
    EVENTS_PAGE_MAX_BYTES: byteSize.pipe(z.number().int().min(16 * 1024, 'must be at least 16kb')).default(4 * 1024 * 1024),
    TURN_COST_ESTIMATE_USD: z.string().regex(/^\d{1,6}(\.\d{1,10})?$/, 'a decimal amount in USD').default('0.05'),
    TURN_TIMEOUT_MS: z.coerce.number().int().min(100).max(3_600_000).default(600_000),
    PROVIDER_CALL_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(30_000),
    PROVIDER_MAX_RETRIES: z.coerce.number().int().min(0).max(10).default(2),
    PROVIDER_RETRY_BASE_MS: z.coerce.number().int().min(1).max(60_000).default(250),
    DEFAULT_IDLE_TIMEOUT_SECONDS: z.coerce.number().int().min(60).max(2_592_000).default(900),
    DEFAULT_MAX_LIFETIME_SECONDS: z.coerce.number().int().min(60).max(2_592_000).default(28_800),
    LIMIT_CEILING_ACTIVE_SESSIONS_PER_USER: platformLimit(20),
    LIMIT_DEFAULT_ACTIVE_SESSIONS_PER_USER: platformDefault,
    LIMIT_CEILING_ACTIVE_SESSIONS_PER_TENANT: platformLimit(500),
    LIMIT_DEFAULT_ACTIVE_SESSIONS_PER_TENANT: platformDefault,
    LIMIT_CEILING_SESSION_CREATES_PER_MINUTE_PER_USER: platformLimit(60),
    LIMIT_DEFAULT_SESSION_CREATES_PER_MINUTE_PER_USER: platformDefault,
    LIMIT_CEILING_TURNS_PER_MINUTE_PER_USER: platformLimit(120),
    LIMIT_DEFAULT_TURNS_PER_MINUTE_PER_USER: platformDefault,
    LIMIT_CEILING_OPEN_STREAMS_PER_TENANT: platformLimit(200),
    LIMIT_DEFAULT_OPEN_STREAMS_PER_TENANT: platformDefault,
    LIMIT_MAX_OPEN_STREAMS_PER_REPLICA: platformLimit(1000),
    /**
     * Tests only: the broker process exits (code 86) at this point of session
     * creation, as a crashed replica would. `after-session-bound`: the session
     * is recorded (`provisioning`), the provider not yet called.
     * `after-provider-open`: the provider session exists, the broker has not
     * recorded it. Never set it outside the crash-recovery tests.
     */
    SWITCHBOARD_TEST_CRASH_POINT: z.enum(['after-session-bound', 'after-provider-open']).optional(),
  });

/**
 * Cross-field rules, checked on the raw environment so their problems are
 * reported together with the per-key ones (zod skips object refinements when
 * a member already failed).
 */
export function crossFieldProblems(source: Record<string, string | undefined>): string[] {
  return [...oidcProblems(source), ...httpTimeoutProblems(source), ...auditKeyProblems(source), ...platformLimitProblems(source), ...productionProblems(source)];
}

const isSet = (source: Record<string, string | undefined>, key: string) => (source[key] ?? '').trim() !== '';

/**
 * What the production profile refuses to start with (README: Production):
 * every one of them is a development convenience that is unsafe, or loses
 * data, behind a load balancer. Runtimes that would run emulated are
 * checked by `loadConfig` (it resolves their modes).
 */
function productionProblems(source: Record<string, string | undefined>): string[] {
  if ((source.SWITCHBOARD_PROFILE ?? '').trim() !== 'production') return [];
  const required: Array<[string, string]> = [
    ['DATABASE_URL', 'the embedded database is single-process and local to one container'],
    ['SWITCHBOARD_ADMIN_KEY', 'a generated operator key is printed to the log once and differs per fresh database'],
    ['SWITCHBOARD_AUDIT_KEYS', 'a development audit key lives in the data dir, readable by whoever can write the database'],
    ['HTTP_TRUST_PROXY_HOPS', 'how many proxies front the broker decides the client address audit events record: say it explicitly (0 for none)'],
  ];
  return [
    ...required.filter(([key]) => !isSet(source, key)).map(([key, why]) => `${key}: is required in the production profile (${why})`),
    ...((source.SWITCHBOARD_SEED_DEMO ?? '').trim() === 'auto' ? ['SWITCHBOARD_SEED_DEMO: must be off in the production profile (no demo tenant and keys in production)'] : []),
    ...(isSet(source, 'SWITCHBOARD_TEST_CRASH_POINT') ? ['SWITCHBOARD_TEST_CRASH_POINT: is for tests only and refused in the production profile'] : []),
  ];
}

/** A platform default must lie within its ceiling (`none` is above every count). */
function platformLimitProblems(source: Record<string, string | undefined>): string[] {
  return platformLimitSettings.flatMap(([, suffix, fallback]) => {
    const ceilingText = (source[`LIMIT_CEILING_${suffix}`] ?? '').trim() || String(fallback);
    const defaultText = (source[`LIMIT_DEFAULT_${suffix}`] ?? '').trim();
    if (defaultText === '' || ceilingText === 'none') return [];
    const ceiling = Number(ceilingText);
    if (defaultText === 'none') return [`LIMIT_DEFAULT_${suffix}: cannot be none while LIMIT_CEILING_${suffix} is ${ceilingText}`];
    return Number(defaultText) > ceiling ? [`LIMIT_DEFAULT_${suffix}: must not exceed LIMIT_CEILING_${suffix} (${ceilingText})`] : [];
  });
}

function oidcProblems(source: Record<string, string | undefined>): string[] {
  const oidcKeys = ['OIDC_ISSUER', 'OIDC_AUDIENCE', 'OIDC_JWKS_URL'];
  const given = oidcKeys.filter((key) => (source[key] ?? '').trim() !== '');
  const consoleKeys = ['OIDC_AUTHORIZATION_ENDPOINT', 'OIDC_TOKEN_ENDPOINT'].filter((key) => (source[key] ?? '').trim() !== '');
  const consoleProblems =
    (source.OIDC_CONSOLE_CLIENT_ID ?? '').trim() === ''
      ? consoleKeys.map((key) => `${key}: is used only with OIDC_CONSOLE_CLIENT_ID (the console's sign-in), which is not set`)
      : given.length === oidcKeys.length
        ? []
        : ['OIDC_CONSOLE_CLIENT_ID: needs OIDC_ISSUER, OIDC_AUDIENCE and OIDC_JWKS_URL (the broker must accept the tokens the console signs in with)'];
  if (given.length === 0 || given.length === oidcKeys.length) return consoleProblems;
  return [...oidcKeys.filter((key) => !given.includes(key)).map((key) => `${key}: is required when any OIDC_* setting is given`), ...consoleProblems];
}

/** Which key signs new events must be unambiguous, and must be one of the keys. */
function auditKeyProblems(source: Record<string, string | undefined>): string[] {
  const keysText = (source.SWITCHBOARD_AUDIT_KEYS ?? '').trim();
  const currentId = (source.SWITCHBOARD_AUDIT_KEY_ID ?? '').trim();
  if (keysText === '') return currentId === '' ? [] : ['SWITCHBOARD_AUDIT_KEY_ID: is set but SWITCHBOARD_AUDIT_KEYS is not'];
  const { keys, problems } = parseAuditKeys(keysText);
  if (problems.length > 0) return [];
  if (currentId === '' && keys.length > 1) return ['SWITCHBOARD_AUDIT_KEY_ID: is required when SWITCHBOARD_AUDIT_KEYS lists several keys (it names the one new events use)'];
  if (currentId !== '' && !keys.some((key) => key.id === currentId)) return [`SWITCHBOARD_AUDIT_KEY_ID: "${currentId}" is not listed in SWITCHBOARD_AUDIT_KEYS`];
  return [];
}

/** Node refuses a headers timeout longer than the request timeout (the whole request includes its headers). */
function httpTimeoutProblems(source: Record<string, string | undefined>): string[] {
  const request = Number(source.HTTP_REQUEST_TIMEOUT_MS ?? 30_000);
  const headers = Number(source.HTTP_HEADERS_TIMEOUT_MS);
  return headers > request ? [`HTTP_HEADERS_TIMEOUT_MS: must not exceed HTTP_REQUEST_TIMEOUT_MS (${request})`] : [];
}

export type Environment = z.infer<typeof environmentSchema>;
