import type { EmulatorClock } from '#libs/emulator-kit';
import { notFound } from './api-errors.js';
import { newFoundryId, unixSeconds } from './emulator-ids.js';

/** One conversation item as the Conversations API returns it (message, function_call, function_call_output...). */
export type ConversationItem = { id: string; type: string; [field: string]: unknown };

export interface ConversationRecord {
  id: string;
  project: string;
  agentName: string;
  createdAtMs: number;
  metadata: Record<string, string>;
  items: ConversationItem[];
  /** The session the conversation's first response bound it to ("a conversation auto-binds a stable session"). */
  sessionId: string | null;
}

/** Conversations of the OpenAI protocol on an agent endpoint: the history a session's turns read and extend. */
export class ConversationStore {
  private readonly conversations = new Map<string, ConversationRecord>();

  constructor(private readonly clock: EmulatorClock) {}

  create(project: string, agentName: string, metadata: Record<string, string>, items: ConversationItem[]): ConversationRecord {
    const record: ConversationRecord = { id: newFoundryId('conv'), project, agentName, createdAtMs: this.clock.now(), metadata, items, sessionId: null };
    this.conversations.set(record.id, record);
    return record;
  }

  find(project: string, agentName: string, id: string): ConversationRecord {
    const record = this.conversations.get(id);
    if (!record || record.project !== project || record.agentName !== agentName) throw notFound('conversation', id);
    return record;
  }

  /** Removes a conversation; false when there was none. */
  delete(project: string, agentName: string, id: string): boolean {
    const record = this.conversations.get(id);
    if (!record || record.project !== project || record.agentName !== agentName) return false;
    return this.conversations.delete(id);
  }

  view(record: ConversationRecord) {
    return { id: record.id, object: 'conversation', created_at: unixSeconds(record.createdAtMs), metadata: record.metadata };
  }
}

/** A user message item from text. */
export function userMessage(text: string): ConversationItem {
  return { id: newFoundryId('msg'), type: 'message', role: 'user', status: 'completed', content: [{ type: 'input_text', text }] };
}

/** The text of a message item's text parts (`input_text` / `output_text`), joined. */
export function messageText(item: ConversationItem): string {
  const content = Array.isArray(item.content) ? (item.content as unknown[]) : [];
  return content
    .flatMap((part) => (typeof part === 'object' && part !== null && 'text' in part && typeof part.text === 'string' ? [part.text] : []))
    .join(' ')
    .trim();
}
