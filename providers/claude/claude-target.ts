import { z } from 'zod';
import { targetIdentityField, withIdentityScope, type TargetScopes } from '#libs/provider-kit';

const agentIdPattern = /^agent_[A-Za-z0-9]{1,64}$/;
const environmentIdPattern = /^env_[A-Za-z0-9]{1,64}$/;

/**
 * An agent's target on Claude Managed Agents: an existing agent (optionally
 * pinned to a version) and the environment its sessions run in.
 * https://platform.claude.com/docs/en/managed-agents/sessions
 */
export const claudeTargetSchema = z.strictObject({
  agentId: z.string().regex(agentIdPattern, 'must be an agent id (agent_…)'),
  environmentId: z.string().regex(environmentIdPattern, 'must be an environment id (env_…)'),
  agentVersion: z.number().int().min(1).optional(),
  /** Terminate deletes the session (history and container) instead of archiving it. */
  deleteOnTerminate: z.boolean().optional(),
  /** An operator-configured identity to call the provider as (README: Provider identities). */
  identity: targetIdentityField,
});

export type ClaudeTarget = z.infer<typeof claudeTargetSchema>;

/**
 * The platform's one API key reaches every agent and environment of its
 * workspace, so the operator grants them one by one: a target needs both its
 * agent and its environment granted (an environment holds its own network
 * and package settings, which another tenant's sessions must not borrow).
 */
export const claudeTargetScopes: TargetScopes = withIdentityScope({
  kinds: [
    { kind: 'agent', pattern: agentIdPattern, description: 'a Claude agent id', example: 'agent_011CExample' },
    { kind: 'environment', pattern: environmentIdPattern, description: 'a Claude environment id', example: 'env_011CExample' },
  ],
  of(target) {
    const { agentId, environmentId } = target as ClaudeTarget;
    return [
      { kind: 'agent', value: agentId },
      { kind: 'environment', value: environmentId },
    ];
  },
});
