import { runtimeModules } from '../../apps/broker/src/runtimes/runtime-modules.js';
import type { TestBroker } from './test-broker.js';

/**
 * Has the operator grant a tenant every scope its targets reach (README:
 * Target grants), through the real operator API, as a test's setup. The
 * scopes come from each runtime module, as the broker derives them. A scope
 * already granted is fine.
 */
export async function grantTargets(test: Pick<TestBroker, 'operator'>, tenantId: string, targets: Record<string, unknown>): Promise<string[]> {
  const ids: string[] = [];
  for (const [provider, target] of Object.entries(targets)) {
    const module = runtimeModules.find((candidate) => candidate.id === provider);
    if (!module) throw new Error(`no runtime module ${provider}`);
    for (const scope of module.targetScopes.of(module.targetSchema.parse(target))) {
      const granted = await test.operator.post(`/v1/tenants/${tenantId}/target-grants`, { provider, ...scope });
      if (granted.status === 201) ids.push(granted.json.id as string);
      else if (granted.status !== 409) throw new Error(`could not grant ${provider} ${scope.kind} ${scope.value}: ${granted.status} ${granted.text}`);
    }
  }
  return ids;
}
