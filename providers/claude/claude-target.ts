import { z } from 'zod';

/**
 * An agent's target on Claude Managed Agents: an existing agent (optionally
 * pinned to a version) and the environment its sessions run in.
 * https://platform.claude.com/docs/en/managed-agents/sessions
 */
export const claudeTargetSchema = z.strictObject({
  agentId: z.string().regex(/^agent_[A-Za-z0-9]{1,64}$/, 'must be an agent id (agent_…)'),
  environmentId: z.string().regex(/^env_[A-Za-z0-9]{1,64}$/, 'must be an environment id (env_…)'),
  agentVersion: z.number().int().min(1).optional(),
  /** Terminate deletes the session (history and container) instead of archiving it. */
  deleteOnTerminate: z.boolean().optional(),
});

export type ClaudeTarget = z.infer<typeof claudeTargetSchema>;
