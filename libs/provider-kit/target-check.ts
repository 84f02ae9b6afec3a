import type { RuntimeError, TargetCheck, TargetCheckCode } from '#libs/runtime-spec';

/**
 * The failed {@link TargetCheck} for a control-plane read that failed, from
 * the HTTP status the provider answered (undefined when it did not answer)
 * and the provider's own error mapping of the failure. The status decides
 * where there is one, because the RuntimeError kinds fold 400, 403 and 404
 * together (`invalid_target`).
 */
export function failedTargetCheck(what: string, status: number | undefined, failure: RuntimeError): TargetCheck {
  // The detail names the target and the provider's error code, never the provider's own text: that may
  // carry hosts, addresses or transport errors (the adapter's log keeps it).
  const code = failure.providerCode !== undefined && providerCodeShape.test(failure.providerCode) ? ` (${failure.providerCode})` : '';
  const failed = (checkCode: TargetCheckCode): TargetCheck => ({ ok: false, code: checkCode, detail: `${what}: ${checkDetails[checkCode]}${code}` });
  // A 400 names a malformed id: nothing by that name can exist.
  if (status === 404 || status === 400 || failure.kind === 'not_found') return failed('target_not_found');
  if (status === 401 || status === 403) return failed('permission_denied');
  // No answer, yet the mapper blames the target: the SDK found no credentials to sign with.
  if (status === undefined && failure.kind === 'invalid_target') return failed('permission_denied');
  return failed('provider_unavailable');
}

const checkDetails: Record<TargetCheckCode, string> = {
  target_not_found: 'the provider does not know it',
  target_not_ready: 'it exists but cannot serve',
  permission_denied: "the broker's credentials may not read it",
  provider_unavailable: 'the provider did not answer',
};

/** A provider's error code, when it looks like one (a token, not prose). */
const providerCodeShape = /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/;
