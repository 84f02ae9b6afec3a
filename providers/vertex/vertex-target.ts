import { z } from 'zod';
import { targetIdentityField, withIdentityScope, type TargetScopes } from '#libs/provider-kit';

/** `projects/{project}/locations/{location}/reasoningEngines/{id}`, as Vertex AI names a reasoning engine. */
export const reasoningEnginePattern = /^projects\/([a-z][a-z0-9-]{0,29}|\d{1,20})\/locations\/([a-z]+-[a-z]+\d+)\/reasoningEngines\/(\d{1,20})$/;

/**
 * An agent's target on Vertex AI Agent Engine: the deployed reasoning engine
 * (an ADK `AdkApp` serving `async_stream_query`) and, for compute estimates,
 * the size its deployment spec gives each container.
 * https://cloud.google.com/vertex-ai/generative-ai/docs/agent-engine/sessions/manage-sessions-api
 */
export const vertexTargetSchema = z.strictObject({
  reasoningEngine: z.string().regex(reasoningEnginePattern, 'must be projects/{project}/locations/{location}/reasoningEngines/{numeric id}'),
  /** `resource_limits.cpu` of the engine's deployment spec (Vertex accepts 1, 2, 4, 6 or 8; default 4). */
  vcpu: z.union([z.literal(1), z.literal(2), z.literal(4), z.literal(6), z.literal(8)]).optional(),
  /** `resource_limits.memory` in GiB (1–32; default 4). */
  memoryGiB: z.number().int().min(1).max(32).optional(),
  /** `container_concurrency` of the deployment spec (default 9): how many requests share one container. */
  containerConcurrency: z.number().int().min(1).max(1000).optional(),
  /**
   * ADK streams partial text only when asked (`RunConfig.streaming_mode`, default NONE):
   * `sse` (the default) asks for it through AdkApp's `run_config`; `none` sends no `run_config`, for engines whose
   * `async_stream_query` predates that argument (the turn then arrives as complete events only).
   */
  streaming: z.enum(['sse', 'none']).optional(),
  /** An operator-configured identity to call the provider as (README: Provider identities). */
  identity: targetIdentityField,
});

export type VertexTarget = z.infer<typeof vertexTargetSchema>;

/** The deployment-spec defaults Vertex applies when a field is left unset (ReasoningEngineSpec.DeploymentSpec). */
export const engineSizeDefaults = { vcpu: 4, memoryGiB: 4, containerConcurrency: 9 } as const;

/** The region of a reasoning engine, which picks its regional endpoint `{location}-aiplatform.googleapis.com`. */
export function locationOf(reasoningEngine: string): string {
  const match = reasoningEnginePattern.exec(reasoningEngine);
  if (!match) throw new TypeError(`not a reasoning engine resource name: ${reasoningEngine}`);
  return match[2];
}

/**
 * A reasoning engine reaches its GCP project. The grant names the project as
 * the target writes it: a project id and its number are two grants.
 */
export const vertexTargetScopes: TargetScopes = withIdentityScope({
  kinds: [{ kind: 'project', pattern: /^(?:[a-z][a-z0-9-]{0,29}|\d{1,20})$/, description: 'a GCP project id or number, as in the reasoning engine name', example: 'my-project' }],
  of(target) {
    const match = reasoningEnginePattern.exec((target as VertexTarget).reasoningEngine);
    if (!match) throw new TypeError('not a reasoning engine resource name');
    return [{ kind: 'project', value: match[1] }];
  },
});
