import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/**
 * The client's committed types are what openapi-typescript makes of the
 * document the broker serves now: a route changed without re-running
 * `npm run openapi:generate` fails here. The script boots its own broker.
 */
test('packages/client/src/generated/openapi.ts matches the served /openapi.json', { skip: process.env.DATABASE_URL ? 'the embedded run covers it (no database-specific behaviour)' : false }, () => {
  const result = spawnSync(process.execPath, [path.join(root, 'scripts/openapi-client.mjs'), '--check'], { cwd: root, encoding: 'utf8', timeout: 240_000 });
  assert.equal(result.status, 0, `${result.stdout}\n${result.stderr}`);
  assert.match(result.stdout, /matches the served OpenAPI document/);
});
