import { z } from 'zod';

/**
 * An agent's target on Microsoft Foundry: a hosted agent version in a
 * project. Sessions are bound to one concrete version (the service refuses
 * `@latest` for hosted sessions), so the version is required.
 * https://learn.microsoft.com/azure/ai-foundry/agents/concepts/hosted-agents
 */
export const foundryTargetSchema = z.strictObject({
  /** `https://<resource>.services.ai.azure.com/api/projects/<project>`: the project's endpoint, https only (Azure core sends tokens over TLS only). */
  projectEndpoint: z
    .url({ protocol: /^https$/, error: 'must be an https URL' })
    .regex(/^https:\/\/[^/?#]+\/api\/projects\/[^/?#]+$/, 'must be a project endpoint: https://<resource>.services.ai.azure.com/api/projects/<project>'),
  /** The hosted agent's name: letters, digits and inner hyphens, at most 63 characters. */
  agentName: z.string().regex(/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/, 'must be an agent name (letters, digits, inner hyphens; 1-63)'),
  /** The agent version sessions run, e.g. "3". */
  agentVersion: z.string().regex(/^[1-9][0-9]{0,8}$/, 'must be a concrete version number, e.g. "1"'),
  /** Terminate deletes the session (sandbox and files) and its conversation, instead of stopping it. */
  deleteOnTerminate: z.boolean().optional(),
});

export type FoundryTarget = z.infer<typeof foundryTargetSchema>;
