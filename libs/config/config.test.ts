import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, loadConfig } from './config.js';

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

test('body limit accepts units', () => {
  assert.equal(loadConfig({ BODY_LIMIT: '512kb' }).http.bodyLimitBytes, 512 * 1024);
  assert.equal(loadConfig({ BODY_LIMIT: '2048' }).http.bodyLimitBytes, 2048);
});

test('emulators run on the broker thread unless placed on threads of their own', () => {
  assert.equal(loadConfig({}).runtimes.emulatorPlacement, 'in-process');
  assert.equal(loadConfig({ SWITCHBOARD_EMULATOR_PLACEMENT: 'thread' }).runtimes.emulatorPlacement, 'thread');
  assert.throws(() => loadConfig({ SWITCHBOARD_EMULATOR_PLACEMENT: 'process' }), (error) => error instanceof ConfigError && error.problems[0].startsWith('SWITCHBOARD_EMULATOR_PLACEMENT'));
});
