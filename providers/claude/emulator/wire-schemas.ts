import { z } from 'zod';

/**
 * Request schemas for the Managed Agents endpoints the emulator serves,
 * after the SDK types in `@anthropic-ai/sdk/resources/beta/{sessions,agents,environments}`.
 * Loose on purpose: unknown fields pass through, as a newer SDK may send them.
 */

const metadata = z
  .record(z.string().max(64), z.string().max(512))
  .refine((pairs) => Object.keys(pairs).length <= 16, 'at most 16 metadata pairs');

const contentBlock = z.looseObject({ type: z.string() });

const userMessage = z.looseObject({ type: z.literal('user.message'), content: z.array(contentBlock).min(1) });
const defineOutcome = z.looseObject({ type: z.literal('user.define_outcome') });

/**
 * Events a client may send; `user.message`, `user.interrupt` and a
 * `user.tool_confirmation` the agent waits on change what the emulated agent
 * does. A confirmation's `deny_message` is "only allowed when result is
 * 'deny'" (`BetaManagedAgentsUserToolConfirmationEventParams`).
 */
export const sendEventsBody = z.object({
  events: z
    .array(
      z.discriminatedUnion('type', [
        userMessage,
        defineOutcome,
        z.looseObject({ type: z.literal('user.interrupt') }),
        z.looseObject({ type: z.literal('user.tool_confirmation'), tool_use_id: z.string(), result: z.enum(['allow', 'deny']), deny_message: z.string().nullish() }),
        z.looseObject({ type: z.literal('user.custom_tool_result'), custom_tool_use_id: z.string() }),
        z.looseObject({ type: z.literal('user.tool_result'), tool_use_id: z.string() }),
        z.looseObject({ type: z.literal('system.message') }),
      ]),
    )
    .min(1)
    .superRefine((events, context) => {
      for (const [index, event] of events.entries()) {
        if (event.type === 'user.tool_confirmation' && event.result === 'allow' && event.deny_message != null) {
          context.addIssue({ code: 'custom', path: [index, 'deny_message'], message: "deny_message is only allowed when result is 'deny'" });
        }
      }
    }),
});
export type SendableEvent = z.infer<typeof sendEventsBody>['events'][number];

const agentOverrides = z.looseObject({
  type: z.literal('agent_with_overrides'),
  id: z.string(),
  model: z.unknown().optional(),
  system: z.string().nullish(),
  tools: z.array(z.unknown()).optional(),
  mcp_servers: z.array(z.unknown()).optional(),
  skills: z.array(z.unknown()).optional(),
});

export const createSessionBody = z.looseObject({
  agent: z.union([z.string(), z.looseObject({ type: z.literal('agent'), id: z.string(), version: z.number().int().optional() }), agentOverrides]),
  environment_id: z.string(),
  title: z.string().nullish(),
  metadata: metadata.optional(),
  resources: z.array(z.unknown()).optional(),
  vault_ids: z.array(z.string()).optional(),
  initial_events: z.array(z.discriminatedUnion('type', [userMessage, defineOutcome])).max(50).optional(),
  budget: z.looseObject({ type: z.literal('limit') }).nullish(),
});

export const updateSessionBody = z.looseObject({
  title: z.string().nullish(),
  /** A patch: a `null` value deletes the key. */
  metadata: z.record(z.string().max(64), z.string().max(512).nullable()).nullish(),
  budget: z.looseObject({ type: z.literal('limit') }).nullish(),
  vault_ids: z.array(z.string()).optional(),
  agent: z.looseObject({ tools: z.array(z.unknown()).optional(), mcp_servers: z.array(z.unknown()).optional() }).optional(),
});

export const createEnvironmentBody = z.looseObject({
  name: z.string().min(1),
  description: z.string().nullish(),
  config: z.looseObject({ type: z.enum(['cloud', 'self_hosted']) }).optional(),
  metadata: metadata.optional(),
  scope: z.enum(['organization', 'account']).optional(),
});

export const createAgentBody = z.looseObject({
  name: z.string().min(1),
  model: z.union([z.string(), z.looseObject({ id: z.string() })]),
  description: z.string().nullish(),
  system: z.string().nullish(),
  tools: z.array(z.unknown()).max(128).optional(),
  mcp_servers: z.array(z.unknown()).max(20).optional(),
  skills: z.array(z.unknown()).optional(),
  multiagent: z.unknown().optional(),
  metadata: metadata.optional(),
});

const limit = (fallback: number) => z.coerce.number().int().min(1).max(1000).default(fallback);
const order = (fallback: 'asc' | 'desc') => z.enum(['asc', 'desc']).default(fallback);

export const listEventsQuery = z.looseObject({
  limit: limit(1000),
  page: z.string().optional(),
  order: order('asc'),
  types: z.array(z.string()).optional(),
});

export const listSessionsQuery = z.looseObject({
  limit: limit(20),
  page: z.string().optional(),
  order: order('desc'),
  agent_id: z.string().optional(),
  statuses: z.array(z.enum(['rescheduling', 'running', 'idle', 'terminated'])).optional(),
  include_archived: z.enum(['true', 'false']).default('false'),
});

export const streamEventsQuery = z.looseObject({
  event_deltas: z.array(z.enum(['agent.message', 'agent.thinking'])).max(100).default([]),
});

/**
 * A query string as the SDK writes it (`qs` with `arrayFormat: 'brackets'`):
 * `types[]=a&types[]=b` becomes `{types: ['a', 'b']}`, any other key stays a string.
 */
export function readQuery(url: URL): Record<string, string | string[]> {
  const query: Record<string, string | string[]> = {};
  for (const [key, value] of url.searchParams) {
    if (!key.endsWith('[]')) {
      query[key] = value;
      continue;
    }
    const name = key.slice(0, -2);
    const list = query[name];
    query[name] = Array.isArray(list) ? [...list, value] : [value];
  }
  return query;
}
