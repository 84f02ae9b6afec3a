import { readBody } from '#libs/emulator-kit';
import { notFound } from './api-errors.js';
import { type ConversationItem } from './conversation-store.js';
import { newFoundryId } from './emulator-ids.js';
import { cursorPage } from './paging.js';
import { ok, openaiPrefix, type EmulatorServices, type Route } from './route-table.js';
import { createConversationBody, inputText, listQuery, type MessageInput } from './wire-schemas.js';

/** `conversations.*` of the OpenAI protocol on an agent endpoint: create, read, list items, delete. */
export function conversationRoutes({ conversations }: EmulatorServices): Route[] {
  return [
    {
      method: 'POST',
      path: `${openaiPrefix}/conversations`,
      op: 'conversations.create',
      handle: async ({ req, params }) => {
        const body = await readBody(req, createConversationBody);
        const record = conversations.create(params.project, params.agent, body.metadata ?? {}, (body.items ?? []).map(toItem));
        return ok(conversations.view(record));
      },
    },
    {
      method: 'GET',
      path: `${openaiPrefix}/conversations/{conversation}`,
      op: 'conversations.get',
      handle: ({ params }) => ok(conversations.view(conversations.find(params.project, params.agent, params.conversation))),
    },
    {
      method: 'DELETE',
      path: `${openaiPrefix}/conversations/{conversation}`,
      op: 'conversations.delete',
      handle: ({ params }) => {
        if (!conversations.delete(params.project, params.agent, params.conversation)) throw notFound('conversation', params.conversation);
        return ok({ id: params.conversation, object: 'conversation.deleted', deleted: true });
      },
    },
    {
      method: 'GET',
      path: `${openaiPrefix}/conversations/{conversation}/items`,
      op: 'items.list',
      handle: ({ url, params }) => {
        const query = listQuery.parse(Object.fromEntries(url.searchParams));
        const record = conversations.find(params.project, params.agent, params.conversation);
        return ok(cursorPage(record.items, (item) => item.id, query));
      },
    },
  ];
}

/** A message input as the conversation stores it: user/system text is `input_text`, assistant text `output_text`. */
export function toItem(input: MessageInput): ConversationItem {
  const type = input.role === 'assistant' ? 'output_text' : 'input_text';
  return { id: newFoundryId('msg'), type: 'message', role: input.role, status: 'completed', content: [{ type, text: inputText(input.content) }] };
}
