import { z } from 'zod';
import { providerIds, type ProviderId } from '#libs/runtime-spec';
import { runtimeModules } from '../runtimes/runtime-modules.js';
import { pageOf, pageQuery } from '../http/pagination.js';
import { idParam } from '../http/id-param.js';

export const agentName = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'letters, digits, dot, underscore and hyphen, starting with a letter or digit');

/**
 * One target per runtime, each validated by its provider module's own schema
 * (ARN formats, resource names, ids). Vendor fields stay under their
 * provider's key.
 */
export const agentTargets = z.strictObject(Object.fromEntries(runtimeModules.map((module) => [module.id, module.targetSchema.optional()])));
export type AgentTargets = Partial<Record<ProviderId, unknown>>;

const agentFields = {
  name: agentName,
  description: z.string().max(2000).nullable().optional(),
  instructions: z.string().max(100_000).nullable().optional(),
  defaultProvider: z.enum(providerIds),
  targets: agentTargets,
};

const defaultProviderHasTarget = (agent: { defaultProvider?: string; targets?: Record<string, unknown> }) =>
  agent.defaultProvider === undefined || agent.targets === undefined || agent.targets[agent.defaultProvider] !== undefined;
const defaultProviderProblem = { message: 'the default provider needs a target', path: ['defaultProvider'] };

export const createAgentBody = z.strictObject(agentFields).refine(defaultProviderHasTarget, defaultProviderProblem).meta({ id: 'CreateAgentRequest' });
export type CreateAgentBody = z.infer<typeof createAgentBody>;

export const updateAgentBody = z
  .strictObject({ ...agentFields, name: agentName.optional(), defaultProvider: agentFields.defaultProvider.optional(), targets: agentTargets.optional() })
  .refine(defaultProviderHasTarget, defaultProviderProblem)
  .meta({ id: 'UpdateAgentRequest' });
export type UpdateAgentBody = z.infer<typeof updateAgentBody>;

export const agentView = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string().nullable(),
  instructions: z.string().nullable(),
  defaultProvider: z.enum(providerIds),
  targets: agentTargets,
  createdAt: z.string(),
  updatedAt: z.string(),
}).meta({ id: 'Agent' });
export type AgentView = z.infer<typeof agentView>;

export const agentIdParams = z.strictObject({ id: idParam('agt') });
export const listAgentsQuery = z.strictObject({ ...pageQuery });
export const agentPage = pageOf(agentView).meta({ id: 'AgentPage' });

/** One target's answer to `POST /v1/agents/{id}/check`: the contract's TargetCheck, plus `unchecked` for a runtime with no way to check. */
export const targetCheckView = z.union([
  z.object({ ok: z.literal(true) }),
  z.object({
    ok: z.literal(false),
    code: z.enum(['target_not_found', 'target_not_ready', 'permission_denied', 'provider_unavailable', 'unchecked']),
    detail: z.string(),
  }),
]).meta({ id: 'TargetCheck' });
export type TargetCheckView = z.infer<typeof targetCheckView>;
export const agentCheckView = z.object({ targets: z.partialRecord(z.enum(providerIds), targetCheckView) }).meta({ id: 'AgentCheck' });
export type AgentCheckView = z.infer<typeof agentCheckView>;

/** For the OpenAPI document (checked against the schemas when it is built). */
export const createAgentExample = {
  name: 'refund-assistant',
  description: 'Handles refunds',
  instructions: 'You help customers with refunds. Be brief.',
  defaultProvider: 'claude',
  targets: { claude: { agentId: 'agent_011CExample', environmentId: 'env_011CExample', agentVersion: 2 } },
} satisfies CreateAgentBody;
export const agentExample = {
  id: 'agt_01JDQ7YV5X2M9R3T6W8Z0B2D4F',
  ...createAgentExample,
  createdAt: '2026-12-04T09:00:00.000Z',
  updatedAt: '2026-12-04T09:00:00.000Z',
} satisfies AgentView;
