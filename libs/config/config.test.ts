import { test } from 'node:test';
import { z } from 'zod';
import assert from 'node:assert/strict';
import { ConfigError, loadConfig } from './config.js';
import { optionalText, runtimeMode } from './config.schema.js';

test('defaults give an embedded database on port 3000', () => {
  const config = loadConfig({});
  assert.equal(config.http.port, 3000);
  assert.deepEqual(config.database, { kind: 'embedded', dataDir: './.switchboard', port: 0 });
  assert.equal(config.http.bodyLimitBytes, 1024 * 1024);
  assert.equal(config.oidc, undefined);
});

test('DATABASE_URL selects PostgreSQL', () => {
  const config = loadConfig({ DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/test' });
  assert.equal(config.database.kind, 'postgres');
});

test('every bad key is reported at once', () => {
  try {
    loadConfig({ PORT: 'eighty', DATABASE_URL: 'mysql://x', LOG_LEVEL: 'loud', BODY_LIMIT: 'huge', OIDC_ISSUER: 'https://id' });
    assert.fail('expected a ConfigError');
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    const keys = error.problems.map((problem) => problem.split(':')[0]).sort();
    assert.deepEqual(keys, ['BODY_LIMIT', 'DATABASE_URL', 'LOG_LEVEL', 'OIDC_AUDIENCE', 'OIDC_JWKS_URL', 'PORT']);
  }
});

test('idle PostgreSQL pool connections are kept five minutes unless set (0: for the process\'s life)', () => {
  const url = 'postgres://postgres@127.0.0.1:5432/test';
  const idleOf = (env: Record<string, string>) => {
    const database = loadConfig({ DATABASE_URL: url, ...env }).database;
    return database.kind === 'postgres' ? database.idleTimeoutMs : undefined;
  };
  assert.equal(idleOf({}), 300_000);
  assert.equal(idleOf({ DATABASE_POOL_IDLE_TIMEOUT_MS: '0' }), 0);
  assert.equal(idleOf({ DATABASE_POOL_IDLE_TIMEOUT_MS: '60000' }), 60_000);
  assert.throws(() => idleOf({ DATABASE_POOL_IDLE_TIMEOUT_MS: '-1' }), (error) => error instanceof ConfigError && error.problems[0].startsWith('DATABASE_POOL_IDLE_TIMEOUT_MS'));
});

test('body limit accepts units', () => {
  assert.equal(loadConfig({ BODY_LIMIT: '512kb' }).http.bodyLimitBytes, 512 * 1024);
  assert.equal(loadConfig({ BODY_LIMIT: '2048' }).http.bodyLimitBytes, 2048);
});

test('emulators run on the broker thread unless placed on threads of their own', () => {
  assert.equal(loadConfig({}).runtimes.emulatorPlacement, 'in-process');
  assert.equal(loadConfig({ SWITCHBOARD_EMULATOR_PLACEMENT: 'thread' }).runtimes.emulatorPlacement, 'thread');
  assert.throws(() => loadConfig({ SWITCHBOARD_EMULATOR_PLACEMENT: 'process' }), (error) => error instanceof ConfigError && error.problems[0].startsWith('SWITCHBOARD_EMULATOR_PLACEMENT'));
});

test('audit keys: kid:base64 entries, the current one named (or the only one); a development key when none are set', () => {
  const secret = (fill: number) => Buffer.alloc(32, fill).toString('base64');
  assert.equal(loadConfig({}).audit.keys, undefined);
  assert.equal(loadConfig({}).audit.checkpointIntervalMs, 300_000);
  assert.equal(loadConfig({ SWITCHBOARD_DATA_DIR: '/var/lib/sb' }).audit.devKeyDir, '/var/lib/sb');
  const single = loadConfig({ SWITCHBOARD_AUDIT_KEYS: `k1:${secret(1)}` }).audit.keys!;
  assert.equal(single.currentId, 'k1');
  assert.deepEqual(single.all[0].secret, Buffer.alloc(32, 1));
  const rotated = loadConfig({ SWITCHBOARD_AUDIT_KEYS: `k1:${secret(1)},\nk2:${secret(2)}`, SWITCHBOARD_AUDIT_KEY_ID: 'k2' }).audit.keys!;
  assert.deepEqual([rotated.currentId, rotated.all.map((key) => key.id)], ['k2', ['k1', 'k2']]);
  assert.equal(loadConfig({ SWITCHBOARD_AUDIT_CHECKPOINT_INTERVAL_SECONDS: '0' }).audit.checkpointIntervalMs, 0);
});

test('bad audit keys are all reported, and never echo a secret', () => {
  const short = Buffer.alloc(16, 7).toString('base64');
  const problemsOf = (environment: Record<string, string>) => {
    try {
      loadConfig(environment);
    } catch (error) {
      assert.ok(error instanceof ConfigError);
      return error.problems;
    }
    return [];
  };
  const problems = problemsOf({ SWITCHBOARD_AUDIT_KEYS: `k1:${short},no-separator,k1:${short},bad id:x`, SWITCHBOARD_AUDIT_CHECKPOINT_INTERVAL_SECONDS: '-1' });
  assert.deepEqual(problems.map((problem) => problem.split(':')[0]), ['SWITCHBOARD_AUDIT_KEYS', 'SWITCHBOARD_AUDIT_KEYS', 'SWITCHBOARD_AUDIT_KEYS', 'SWITCHBOARD_AUDIT_KEYS', 'SWITCHBOARD_AUDIT_CHECKPOINT_INTERVAL_SECONDS']);
  assert.ok(problems.every((problem) => !problem.includes(short)), 'no secret in a message');
  const secret = Buffer.alloc(32, 1).toString('base64');
  assert.deepEqual(problemsOf({ SWITCHBOARD_AUDIT_KEYS: `k1:${secret},k2:${secret}` }), [
    'SWITCHBOARD_AUDIT_KEY_ID: is required when SWITCHBOARD_AUDIT_KEYS lists several keys (it names the one new events use)',
  ]);
  assert.deepEqual(problemsOf({ SWITCHBOARD_AUDIT_KEYS: `k1:${secret}`, SWITCHBOARD_AUDIT_KEY_ID: 'k9' }), ['SWITCHBOARD_AUDIT_KEY_ID: "k9" is not listed in SWITCHBOARD_AUDIT_KEYS']);
  assert.deepEqual(problemsOf({ SWITCHBOARD_AUDIT_KEY_ID: 'k1' }), ['SWITCHBOARD_AUDIT_KEY_ID: is set but SWITCHBOARD_AUDIT_KEYS is not']);
});

test('OIDC token times: a day and a minute by default, bounded, reported with the other bad keys', () => {
  const oidc = { OIDC_ISSUER: 'https://idp.test/', OIDC_AUDIENCE: 'sb', OIDC_JWKS_URL: 'https://idp.test/jwks' };
  assert.equal(loadConfig(oidc).oidc?.maxTokenLifetimeSeconds, 86_400);
  assert.equal(loadConfig(oidc).oidc?.clockSkewSeconds, 60);
  const tuned = loadConfig({ ...oidc, OIDC_MAX_TOKEN_LIFETIME_SECONDS: '3600', OIDC_CLOCK_SKEW_SECONDS: '0' }).oidc;
  assert.deepEqual([tuned?.maxTokenLifetimeSeconds, tuned?.clockSkewSeconds], [3600, 0]);
  assert.throws(
    () => loadConfig({ ...oidc, OIDC_MAX_TOKEN_LIFETIME_SECONDS: '0', OIDC_CLOCK_SKEW_SECONDS: '-1' }),
    (error) => error instanceof ConfigError && error.problems.length === 2,
  );
});

test("the console's OIDC client: off unless named, scopes default to openid, only with the broker's OIDC settings", () => {
  const oidc = { OIDC_ISSUER: 'https://idp.test/', OIDC_AUDIENCE: 'sb', OIDC_JWKS_URL: 'https://idp.test/jwks' };
  assert.equal(loadConfig(oidc).oidc?.console, undefined);
  assert.deepEqual(loadConfig({ ...oidc, OIDC_CONSOLE_CLIENT_ID: 'console' }).oidc?.console, { clientId: 'console', authorizationEndpoint: undefined, tokenEndpoint: undefined, scopes: 'openid' });
  const explicit = loadConfig({ ...oidc, OIDC_CONSOLE_CLIENT_ID: 'console', OIDC_TOKEN_ENDPOINT: 'https://idp.test/token', OIDC_CONSOLE_SCOPES: 'openid api://sb/console' }).oidc?.console;
  assert.deepEqual([explicit?.tokenEndpoint, explicit?.scopes], ['https://idp.test/token', 'openid api://sb/console']);
  assert.throws(
    () => loadConfig({ OIDC_CONSOLE_CLIENT_ID: 'console', OIDC_CONSOLE_SCOPES: 'bad"scope', OIDC_AUTHORIZATION_ENDPOINT: 'ftp://x' }),
    (error) => error instanceof ConfigError && ['OIDC_CONSOLE_CLIENT_ID', 'OIDC_CONSOLE_SCOPES', 'OIDC_AUTHORIZATION_ENDPOINT'].every((key) => error.problems.some((problem) => problem.startsWith(`${key}:`))),
  );
  assert.throws(() => loadConfig({ ...oidc, OIDC_TOKEN_ENDPOINT: 'https://idp.test/token' }), (error) => error instanceof ConfigError && error.problems[0].startsWith('OIDC_TOKEN_ENDPOINT:'));
});

test('HTTP timeouts: 30 s for a request, 10 s (at most the request timeout) for its headers, 5 s keep-alive', () => {
  const defaults = loadConfig({}).http;
  assert.deepEqual([defaults.requestTimeoutMs, defaults.headersTimeoutMs, defaults.keepAliveTimeoutMs], [30_000, 10_000, 5_000]);
  assert.equal(loadConfig({ HTTP_REQUEST_TIMEOUT_MS: '2000' }).http.headersTimeoutMs, 2000);
  assert.throws(
    () => loadConfig({ HTTP_REQUEST_TIMEOUT_MS: '5000', HTTP_HEADERS_TIMEOUT_MS: '6000', HTTP_KEEP_ALIVE_TIMEOUT_MS: '0' }),
    (error) =>
      error instanceof ConfigError &&
      error.problems.some((problem) => problem.startsWith('HTTP_HEADERS_TIMEOUT_MS: must not exceed')) &&
      error.problems.some((problem) => problem.startsWith('HTTP_KEEP_ALIVE_TIMEOUT_MS')),
  );
});

test('platform limits: shipped defaults, an empty value is unset, none lifts a ceiling, a default must fit its ceiling', () => {
  const shipped = loadConfig({}).limits;
  assert.deepEqual(shipped.platform.maxActiveSessionsPerUser, { default: 20, ceiling: 20 });
  assert.deepEqual(shipped.platform.maxActiveSessionsPerTenant, { default: 500, ceiling: 500 });
  assert.deepEqual(shipped.platform.sessionCreatesPerMinutePerUser, { default: 60, ceiling: 60 });
  assert.deepEqual(shipped.platform.turnsPerMinutePerUser, { default: 120, ceiling: 120 });
  assert.deepEqual(shipped.platform.maxOpenStreamsPerTenant, { default: 200, ceiling: 200 });
  assert.equal(shipped.maxOpenStreamsPerReplica, 1000);
  assert.deepEqual(loadConfig({ LIMIT_CEILING_ACTIVE_SESSIONS_PER_USER: '' }).limits.platform.maxActiveSessionsPerUser, { default: 20, ceiling: 20 });
  const tuned = loadConfig({ LIMIT_CEILING_ACTIVE_SESSIONS_PER_USER: 'none', LIMIT_DEFAULT_ACTIVE_SESSIONS_PER_USER: '5', LIMIT_MAX_OPEN_STREAMS_PER_REPLICA: 'none' }).limits;
  assert.deepEqual(tuned.platform.maxActiveSessionsPerUser, { default: 5, ceiling: null });
  assert.equal(tuned.maxOpenStreamsPerReplica, null);
  assert.throws(
    () => loadConfig({ LIMIT_DEFAULT_TURNS_PER_MINUTE_PER_USER: '500', LIMIT_CEILING_OPEN_STREAMS_PER_TENANT: '-1', LIMIT_DEFAULT_OPEN_STREAMS_PER_TENANT: 'none', LIMIT_MAX_OPEN_STREAMS_PER_REPLICA: 'lots' }),
    (error) =>
      error instanceof ConfigError &&
      ['LIMIT_CEILING_OPEN_STREAMS_PER_TENANT', 'LIMIT_DEFAULT_OPEN_STREAMS_PER_TENANT', 'LIMIT_DEFAULT_TURNS_PER_MINUTE_PER_USER', 'LIMIT_MAX_OPEN_STREAMS_PER_REPLICA'].every((key) =>
        error.problems.some((problem) => problem.startsWith(`${key}:`)),
      ),
  );
});

test('runtime slices: each validated with the rest, typed under runtimes.<id>, their bad keys reported with the others', () => {
  // A stand-in for a runtime module's settings (the real ones live in providers/<id>; this lib never imports them).
  const slices = {
    sample: z.object({ SAMPLE_MODE: runtimeMode, SAMPLE_TOKEN: optionalText }).transform((env) => ({ mode: env.SAMPLE_MODE, token: env.SAMPLE_TOKEN })),
  };
  const config = loadConfig({ SAMPLE_TOKEN: 't' }, slices);
  assert.deepEqual(config.runtimes.sample, { mode: 'auto', token: 't' });
  assert.equal(config.runtimes.turnTimeoutMs, 600_000);
  assert.throws(
    () => loadConfig({ PORT: 'eighty', SAMPLE_MODE: 'sometimes', OIDC_ISSUER: 'https://id' }, slices),
    (error) =>
      error instanceof ConfigError &&
      ['OIDC_AUDIENCE', 'OIDC_JWKS_URL', 'PORT', 'SAMPLE_MODE'].every((key) => error.problems.some((problem) => problem.startsWith(`${key}:`))) &&
      error.problems.length === 4,
  );
});

test('the development profile is the default; production tightens its defaults', () => {
  const development = loadConfig({});
  assert.equal(development.profile, 'development');
  assert.equal(development.webhooks.requireHttps, false);
  assert.equal(development.runtimes.emulators, 'auto');
  const production = loadConfig({
    SWITCHBOARD_PROFILE: 'production',
    DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/test',
    SWITCHBOARD_ADMIN_KEY: 'k'.repeat(32),
    SWITCHBOARD_AUDIT_KEYS: `a:${Buffer.alloc(32, 1).toString('base64')}`,
    HTTP_TRUST_PROXY_HOPS: '0',
  });
  assert.equal(production.profile, 'production');
  assert.equal(production.webhooks.requireHttps, true);
  assert.equal(production.runtimes.emulators, 'off');
  assert.equal(production.seedDemo, false);
  assert.equal(production.http.bodyLimitBytes, 256 * 1024);
});

test('runtime modes resolve from each mode setting and credentials; production refuses an emulated one', () => {
  const settings = { alpha: z.object({ SWITCHBOARD_ALPHA_MODE: runtimeMode }).transform((env) => ({ mode: env.SWITCHBOARD_ALPHA_MODE })) };
  const credentials = { alpha: { liveCredentials: ['ALPHA_KEY'] } };
  assert.deepEqual(loadConfig({}, settings, credentials).runtimes.modes, { alpha: 'emulated' });
  assert.deepEqual(loadConfig({ ALPHA_KEY: 'x' }, settings, credentials).runtimes.modes, { alpha: 'live' });
  assert.deepEqual(loadConfig({ SWITCHBOARD_EMULATORS: 'off' }, settings, credentials).runtimes.modes, { alpha: 'off' });
  assert.throws(
    () => loadConfig({ SWITCHBOARD_PROFILE: 'production', SWITCHBOARD_ALPHA_MODE: 'emulated' }, settings, credentials),
    (error) => error instanceof ConfigError && error.problems.some((problem) => problem.startsWith('SWITCHBOARD_ALPHA_MODE: runtime alpha would run emulated')),
  );
});
