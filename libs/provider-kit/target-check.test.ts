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
      const check = failedTargetCheck('runtime X', status, failure(kind));
      assert.equal(codeOf(check), code, `${status} ${kind}`);
    }
  });

  test("the detail names the target and the provider's error code, never the provider's own text", () => {
    const upstream = new RuntimeError('unavailable', 'connect ECONNREFUSED 10.20.30.40:8443', { providerCode: 'ServiceUnavailable' });
    const check = failedTargetCheck('AgentCore runtime X', undefined, upstream);
    assert.deepEqual(check, { ok: false, code: 'provider_unavailable', detail: 'AgentCore runtime X: the provider did not answer (ServiceUnavailable)' });
    const prose = new RuntimeError('not_found', 'gone', { providerCode: 'not a code: host 10.0.0.1' });
    assert.equal(failedTargetCheck('t', 404, prose).ok === false && (failedTargetCheck('t', 404, prose) as { detail: string }).detail, 't: the provider does not know it');
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
