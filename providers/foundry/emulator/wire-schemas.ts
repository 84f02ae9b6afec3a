import { z } from 'zod';

/**
 * Request schemas for the project-endpoint routes the emulator serves, after
 * `@azure/ai-projects` 2.10 (agents) and `openai` 7.55 (conversations,
 * responses). Loose on purpose: unknown fields pass, as a newer SDK may send them.
 */

const metadata = z.record(z.string().max(64), z.string().max(512)).refine((pairs) => Object.keys(pairs).length <= 16, 'at most 16 metadata pairs');

export const createVersionBody = z.looseObject({
  definition: z.looseObject({ kind: z.string() }),
  description: z.string().nullish(),
  metadata: metadata.optional(),
});

export const createSessionBody = z.looseObject({
  /** Caller-chosen; unique within the agent endpoint. */
  agent_session_id: z.string().regex(/^[A-Za-z0-9_-]{1,128}$/, 'letters, digits, "_" and "-", at most 128').optional(),
  version_indicator: z.looseObject({ type: z.literal('version_ref'), agent_version: z.string().regex(/^\d+$/, 'a concrete version number') }),
});

const limit = z.coerce.number().int().min(1).max(100).default(20);
const order = z.enum(['asc', 'desc']).default('desc');

export const listQuery = z.looseObject({ limit, order, after: z.string().optional(), before: z.string().optional() });

const textPart = z.looseObject({ type: z.string(), text: z.string().optional() });
const messageInput = z.looseObject({
  type: z.literal('message').optional(),
  role: z.enum(['user', 'assistant', 'system', 'developer']),
  content: z.union([z.string(), z.array(textPart)]),
});
export type MessageInput = z.infer<typeof messageInput>;

export const createConversationBody = z.looseObject({ items: z.array(messageInput).max(20).optional(), metadata: metadata.optional() });

/** The answer to an `mcp_approval_request` of an earlier response (`ResponseInputItem.McpApprovalResponse`). */
const approvalResponseInput = z.looseObject({
  type: z.literal('mcp_approval_response'),
  approval_request_id: z.string(),
  approve: z.boolean(),
  reason: z.string().nullish(),
});
export type ApprovalResponseInput = z.infer<typeof approvalResponseInput>;

export const createResponseBody = z.looseObject({
  input: z.union([z.string(), z.array(z.union([approvalResponseInput, messageInput])).min(1)]),
  conversation: z.union([z.string(), z.looseObject({ id: z.string() })]).nullish(),
  stream: z.boolean().nullish(),
  /** Foundry's extension: the hosted session (sandbox) to run in. */
  agent_session_id: z.string().nullish(),
  previous_response_id: z.string().nullish(),
  metadata: metadata.nullish(),
});
export type CreateResponseBody = z.infer<typeof createResponseBody>;

/** The text of a message input, its text parts joined. */
export function inputText(input: MessageInput['content']): string {
  if (typeof input === 'string') return input;
  return input
    .flatMap((part) => (part.text !== undefined ? [part.text] : []))
    .join(' ')
    .trim();
}
