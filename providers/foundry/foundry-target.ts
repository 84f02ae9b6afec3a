import { z } from 'zod';
import { targetIdentityField, withIdentityScope, type TargetScopes } from '#libs/provider-kit';

/**
 * An agent's target on Microsoft Foundry: a hosted agent version in a
 * project. Sessions are bound to one concrete version (the service refuses
 * `@latest` for hosted sessions), so the version is required.
 * https://learn.microsoft.com/azure/ai-foundry/agents/concepts/hosted-agents
 */
/** The resource's custom subdomain as Azure mints it: lower-case letters, digits and inner hyphens. */
const resourceName = '[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?';
/** A Foundry project name: letters, digits, `_`, `.`, `-`, starting and ending with a letter or digit. */
const projectName = '[A-Za-z0-9](?:[A-Za-z0-9_.-]{0,62}[A-Za-z0-9])?';

/**
 * The only project endpoint form Microsoft documents (the portal's Overview →
 * Endpoint, and the `@azure/ai-projects` README):
 * `https://<resource>.services.ai.azure.com/api/projects/<project>`. Matched
 * on the raw text, not on a parsed URL, so nothing a URL parser would accept
 * besides it gets through: no user info, no port (not even `:443`), no IP
 * literal or other host, no trailing dot, percent-encoding, query or fragment.
 * The broker sends its platform Azure token to this host: any other would
 * receive it.
 */
export const projectEndpointPattern = new RegExp(`^https://(${resourceName})\\.services\\.ai\\.azure\\.com/api/projects/(${projectName})$`);

export const foundryTargetSchema = z.strictObject({
  /** `https://<resource>.services.ai.azure.com/api/projects/<project>`, exactly (see {@link projectEndpointPattern}). */
  projectEndpoint: z
    .string()
    .regex(
      projectEndpointPattern,
      'must be a Foundry project endpoint https://<resource>.services.ai.azure.com/api/projects/<project> (lower-case resource name; no port, user info, IP address, other host, query or trailing slash)',
    ),
  /** The hosted agent's name: letters, digits and inner hyphens, at most 63 characters. */
  agentName: z.string().regex(/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/, 'must be an agent name (letters, digits, inner hyphens; 1-63)'),
  /** The agent version sessions run, e.g. "3". */
  agentVersion: z.string().regex(/^[1-9][0-9]{0,8}$/, 'must be a concrete version number, e.g. "1"'),
  /** Terminate deletes the session (sandbox and files) and its conversation, instead of stopping it. */
  deleteOnTerminate: z.boolean().optional(),
  /** An operator-configured identity to call the provider as (README: Provider identities). */
  identity: targetIdentityField,
});

export type FoundryTarget = z.infer<typeof foundryTargetSchema>;

/** The scope a grant names: `<resource>/<project>`. */
const projectScopePattern = new RegExp(`^(${resourceName})/(${projectName})$`);

/** A Foundry target reaches one project of one resource: that is what the operator grants. */
export const foundryTargetScopes: TargetScopes = withIdentityScope({
  kinds: [{ kind: 'project', pattern: projectScopePattern, description: 'a Foundry project, as <resource>/<project> of its endpoint', example: 'acct/p1' }],
  of(target) {
    const match = projectEndpointPattern.exec((target as FoundryTarget).projectEndpoint);
    if (!match) throw new TypeError('not a Foundry project endpoint');
    return [{ kind: 'project', value: `${match[1]}/${match[2]}` }];
  },
});
