import { z } from 'zod';
import { identityNamePattern, type IdentitiesConfig, type IdentityKind, type ProviderIdentity } from '#libs/config';
import { RuntimeError } from '#libs/runtime-spec';
import type { TargetScopes } from './target-scope.js';

/**
 * `targets.<provider>.identity`: the name of an identity the operator
 * configured (`SWITCHBOARD_IDENTITIES`) whose credentials the runtime uses
 * for this target instead of the platform's own. A name only: the secret
 * stays in the operator's configuration.
 */
export const targetIdentityField = z
  .string()
  .regex(identityNamePattern, 'must name an identity the operator configured (1-64 letters, digits, dot, underscore or hyphen)')
  .optional()
  .describe('the operator-configured identity whose credentials this target uses (SWITCHBOARD_IDENTITIES); the platform credential when absent');

/**
 * A provider's grant scopes plus `identity`: a tenant may name an identity
 * only once the operator granted it (`{"kind":"identity","value":"bu-finance"}`),
 * so one business unit's credentials are never another tenant's to use.
 */
export function withIdentityScope(scopes: TargetScopes): TargetScopes {
  return {
    kinds: [...scopes.kinds, { kind: 'identity', pattern: identityNamePattern, description: 'a provider identity the operator configured', example: 'bu-finance' }],
    of(target) {
      const identity = (target as { identity?: string }).identity;
      return identity === undefined ? scopes.of(target) : [...scopes.of(target), { kind: 'identity', value: identity }];
    },
  };
}

/** Why a target's identity cannot be used, or undefined when it can (the broker's agent checks, adapters' last gate). */
export function identityProblem(identities: IdentitiesConfig, kind: IdentityKind, name: string | undefined): string | undefined {
  if (name === undefined) return undefined;
  const identity = identities.get(name);
  if (!identity) return `no identity named "${name}" is configured on this broker`;
  if (identity.kind !== kind) return `identity "${name}" is a ${identity.kind} identity; this runtime needs a ${kind} one`;
  return undefined;
}

/**
 * Clients (or credentials) made once per identity and reused: the key `''`
 * is the platform credential (a target naming no identity). An identity the
 * configuration does not hold is refused here, before any credential is
 * built, as the provider refusing the target.
 */
export class PerIdentity<Kind extends IdentityKind, T> {
  private readonly made = new Map<string, T>();

  constructor(
    private readonly identities: IdentitiesConfig,
    private readonly kind: Kind,
    private readonly make: (identity: Extract<ProviderIdentity, { kind: Kind }> | undefined) => T,
  ) {}

  /** The value for a target's identity (undefined: the platform's credential). */
  for(name: string | undefined): T {
    const key = name ?? '';
    let value = this.made.get(key);
    if (value === undefined) {
      const problem = identityProblem(this.identities, this.kind, name);
      if (problem) throw new RuntimeError('invalid_target', problem, { turnAccepted: false });
      value = this.make(name === undefined ? undefined : (this.identities.get(name) as Extract<ProviderIdentity, { kind: Kind }>));
      this.made.set(key, value);
    }
    return value;
  }

  values(): T[] {
    return [...this.made.values()];
  }
}
