import type { RuntimeError, TargetCheck } from '#libs/runtime-spec';

/**
 * The failed {@link TargetCheck} for a control-plane read that failed, from
 * the HTTP status the provider answered (undefined when it did not answer)
 * and the provider's own error mapping of the failure. The status decides
 * where there is one, because the RuntimeError kinds fold 400, 403 and 404
 * together (`invalid_target`).
 */
export function failedTargetCheck(what: string, status: number | undefined, failure: RuntimeError): TargetCheck {
  const detail = `${what}: ${failure.message}`;
  // A 400 names a malformed id: nothing by that name can exist.
  if (status === 404 || status === 400 || failure.kind === 'not_found') return { ok: false, code: 'target_not_found', detail };
  if (status === 401 || status === 403) return { ok: false, code: 'permission_denied', detail };
  // No answer, yet the mapper blames the target: the SDK found no credentials to sign with.
  if (status === undefined && failure.kind === 'invalid_target') return { ok: false, code: 'permission_denied', detail };
  return { ok: false, code: 'provider_unavailable', detail };
}
