/**
 * What an agent target reaches at its provider that the platform operator
 * grants to tenants one by one (an AWS account, a Foundry project, a GCP
 * project, a Claude agent or environment). With one platform credential per
 * cloud, a target is only safe for the tenant it was granted to.
 */
export interface TargetScope {
  /** A kind the provider declares in {@link TargetScopes.kinds}, e.g. `account`. */
  kind: string;
  value: string;
}

export interface TargetScopeKind {
  kind: string;
  /** Anchored pattern of a grant's value; also how the value is written in the target. */
  pattern: RegExp;
  description: string;
  example: string;
}

/** How a provider names the scopes of its targets. */
export interface TargetScopes {
  kinds: readonly TargetScopeKind[];
  /** Every scope a target (already accepted by the provider's schema) needs granted. Pure. */
  of(target: unknown): TargetScope[];
}

/** True when a grant value has the shape its kind declares. */
export function isScopeValue(scopes: TargetScopes, kind: string, value: string): boolean {
  const declared = scopes.kinds.find((candidate) => candidate.kind === kind);
  return declared !== undefined && declared.pattern.test(value);
}
