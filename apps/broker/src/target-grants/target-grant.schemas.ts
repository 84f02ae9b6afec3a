import { z } from 'zod';
import { providerIds } from '#libs/runtime-spec';
import { idParam } from '../http/id-param.js';
import { pageOf, pageQuery } from '../http/pagination.js';
import { runtimeModules } from '../runtimes/runtime-modules.js';

const kindsText = runtimeModules
  .map((module) => `${module.id}: ${module.targetScopes.kinds.map((kind) => `\`${kind.kind}\` (${kind.description}, e.g. \`${kind.example}\`)`).join(', ')}`)
  .join('; ');

/** Each provider's kinds and value shapes come from its runtime module, so a grant can only name a scope a target can have. */
export const createTargetGrantBody = z
  .strictObject({
    provider: z.enum(providerIds),
    kind: z.string().min(1).max(40).describe(`What is granted, per provider: ${kindsText}`),
    value: z.string().min(1).max(200),
  })
  .superRefine((grant, context) => {
    const module = runtimeModules.find((candidate) => candidate.id === grant.provider);
    const kind = module?.targetScopes.kinds.find((candidate) => candidate.kind === grant.kind);
    if (!module || !kind) {
      context.addIssue({ code: 'custom', path: ['kind'], message: `must be one of ${module?.targetScopes.kinds.map((candidate) => candidate.kind).join(', ') ?? '(none)'} for ${grant.provider}` });
    } else if (!kind.pattern.test(grant.value)) {
      context.addIssue({ code: 'custom', path: ['value'], message: `must be ${kind.description}, e.g. ${kind.example}` });
    }
  })
  .meta({ id: 'CreateTargetGrantRequest' });
export type CreateTargetGrantBody = z.infer<typeof createTargetGrantBody>;

export const targetGrantView = z.object({
  id: z.string(),
  tenantId: z.string(),
  provider: z.enum(providerIds),
  kind: z.string(),
  value: z.string(),
  createdAt: z.string(),
}).meta({ id: 'TargetGrant' });
export type TargetGrantView = z.infer<typeof targetGrantView>;

export const tenantGrantParams = z.strictObject({ tenantId: idParam('ten') });
export const grantIdParams = z.strictObject({ tenantId: idParam('ten'), grantId: idParam('tgr') });
export const listTargetGrantsQuery = z.strictObject({ ...pageQuery });
export const targetGrantPage = pageOf(targetGrantView).meta({ id: 'TargetGrantPage' });
