import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { RuntimeError, type RuntimeErrorKind } from '#libs/runtime-spec';
import { failedTargetCheck } from './target-check.js';

const failure = (kind: RuntimeErrorKind) => new RuntimeError(kind, `it failed (${kind})`);

describe('failedTargetCheck', () => {
  test('the answered status decides: 404 and 400 not found, 401 and 403 permission denied, 5xx and 429 unavailable', () => {
    const cases: Array<[number, RuntimeErrorKind, string]> = [
      [404, 'invalid_target', 'target_not_found'],
      [400, 'invalid_target', 'target_not_found'],
      [403, 'invalid_target', 'permission_denied'],
      [401, 'provider_error', 'permission_denied'],
      [503, 'unavailable', 'provider_unavailable'],
      [500, 'provider_error', 'provider_unavailable'],
      [429, 'throttled', 'provider_unavailable'],
    ];
    for (const [status, kind, code] of cases) {
      assert.deepEqual(failedTargetCheck('runtime X', status, failure(kind)), { ok: false, code, detail: `runtime X: it failed (${kind})` }, `${status} ${kind}`);
    }
  });

  test('without an answer: a timeout or network failure is unavailable; a missing credential is permission denied', () => {
    assert.equal(codeOf(failedTargetCheck('t', undefined, failure('timeout'))), 'provider_unavailable');
    assert.equal(codeOf(failedTargetCheck('t', undefined, failure('unavailable'))), 'provider_unavailable');
    assert.equal(codeOf(failedTargetCheck('t', undefined, failure('invalid_target'))), 'permission_denied');
    assert.equal(codeOf(failedTargetCheck('t', undefined, failure('not_found'))), 'target_not_found');
  });
});

function codeOf(check: ReturnType<typeof failedTargetCheck>): string | undefined {
  return check.ok ? undefined : check.code;
}
