import Anthropic, { type ClientOptions } from '@anthropic-ai/sdk';
import type { ClaudeEmulator } from './claude-emulator.js';

/** Shared by this folder's tests: the real SDK pointed at the emulator. */

type Stream = Awaited<ReturnType<Anthropic['beta']['sessions']['events']['stream']>>;
export type StreamEvent = Stream extends AsyncIterable<infer Event> ? Event : never;

export function clientFor(emulator: ClaudeEmulator, options: ClientOptions = {}): Anthropic {
  return new Anthropic({ apiKey: 'sk-ant-test', baseURL: emulator.url, maxRetries: 0, ...options });
}

/** Environment, agent and a fresh session, as a client sets them up. */
export async function createSession(client: Anthropic, metadata: Record<string, string> = {}): Promise<string> {
  const environment = await client.beta.environments.create({ name: 'test-env', config: { type: 'cloud', networking: { type: 'unrestricted' } } });
  const agent = await client.beta.agents.create({ name: 'test-agent', model: 'claude-sonnet-4-6', tools: [{ type: 'agent_toolset_20260401' }] });
  const session = await client.beta.sessions.create({ agent: agent.id, environment_id: environment.id, metadata });
  return session.id;
}

export const userMessage = (text: string) => ({ type: 'user.message' as const, content: [{ type: 'text' as const, text }] });

/** Reads a stream until the turn is over (`session.status_idle` that needs no action) or the stream ends. */
export async function readTurn(stream: Stream): Promise<StreamEvent[]> {
  const events: StreamEvent[] = [];
  for await (const event of stream) {
    events.push(event);
    if (event.type === 'session.status_idle' && event.stop_reason.type !== 'requires_action') break;
  }
  return events;
}

/** Opens the stream first (it has no replay), sends one message, reads the turn. */
export async function runTurn(client: Anthropic, sessionId: string, text: string, deltas = false): Promise<StreamEvent[]> {
  const stream = await client.beta.sessions.events.stream(sessionId, deltas ? { event_deltas: ['agent.message'] } : {});
  await client.beta.sessions.events.send(sessionId, { events: [userMessage(text)] });
  return readTurn(stream);
}

export function only<Type extends StreamEvent['type']>(events: StreamEvent[], type: Type): Array<Extract<StreamEvent, { type: Type }>> {
  return events.filter((event): event is Extract<StreamEvent, { type: Type }> => event.type === type);
}

export function replyText(events: StreamEvent[]): string {
  const [message] = only(events, 'agent.message');
  return message.content.map((block) => (block.type === 'text' ? block.text : '')).join('');
}

/** A plain fetch with the beta header and a key, for what the SDK won't send. */
export function rawFetch(emulator: ClaudeEmulator, path: string, init: RequestInit = {}): Promise<Response> {
  const headers = { 'anthropic-beta': 'managed-agents-2026-04-01', 'x-api-key': 'sk-ant-test', 'content-type': 'application/json' };
  return fetch(`${emulator.url}${path}`, { ...init, headers: { ...headers, ...(init.headers as Record<string, string>) } });
}
