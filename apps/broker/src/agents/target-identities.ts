import type { IdentitiesConfig } from '#libs/config';
import type { FieldProblem } from '#libs/errors';
import { identityProblem } from '#libs/provider-kit';
import { runtimeModules } from '../runtimes/runtime-modules.js';

/**
 * Each target that names an identity (`targets.<provider>.identity`) must
 * name one the operator configured, of the kind its runtime takes (an `aws`
 * identity for agentcore…). Checked at agent create and update and before a
 * target check: the API only names identities, so a name this broker does
 * not hold is the client's mistake (400), never a provider failure.
 */
export function targetIdentityProblems(identities: IdentitiesConfig, targets: Partial<Record<string, unknown>>, path: string): FieldProblem[] {
  return Object.entries(targets).flatMap(([provider, target]) => {
    const module = runtimeModules.find((candidate) => candidate.id === provider);
    const name = (target as { identity?: unknown } | undefined)?.identity;
    if (!module || typeof name !== 'string') return [];
    const problem = identityProblem(identities, module.identityKind, name);
    return problem ? [{ path: `${path}.${provider}.identity`, message: problem }] : [];
  });
}
