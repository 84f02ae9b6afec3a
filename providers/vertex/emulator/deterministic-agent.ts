/**
 * The emulator's ADK agent, as pure functions: what one `async_stream_query`
 * turn streams and stores, given the session's earlier user messages. Replies
 * quote the current message and the previous one verbatim (state
 * continuity); a message containing the word "tool" first calls `list_files`.
 * Token counts depend only on the texts.
 */

export const demoAgentName = 'switchboard_demo_agent';
const toolName = 'list_files';
const toolResult = { files: ['README.md', 'orders.csv'] };

export interface AgentTurn {
  /** Every event in streaming order, partial chunks included. */
  streamed: Array<Record<string, unknown>>;
  /** What ADK appends to the session: the user's message and every non-partial event. */
  stored: Array<Record<string, unknown>>;
}

export interface TurnContext {
  text: string;
  /** The user texts of earlier turns in this session, oldest first. */
  history: string[];
  invocationId: string;
  /** Makes event ids (deterministic given the same counter). */
  nextId: () => string;
  /** Event timestamps, seconds since epoch (ADK's float format). */
  nowSeconds: number;
}

const words = (text: string) => text.split(/\s+/).filter(Boolean).length;

export function runDeterministicTurn(context: TurnContext): AgentTurn {
  const turn = context.history.length + 1;
  const previous = context.history.at(-1);
  const usesTool = /\btools?\b/i.test(context.text);
  const reply =
    `Turn ${turn}. You said: "${context.text}".` +
    (usesTool ? ` ${toolName} found ${toolResult.files.length} files.` : '') +
    (previous === undefined ? '' : ` Earlier you said: "${previous}".`);
  const base = { invocation_id: context.invocationId, author: demoAgentName };
  const at = { timestamp: context.nowSeconds };
  const promptTokens = 12 + words(context.text) + context.history.reduce((sum, text) => sum + words(text), 0);
  const user = { ...base, author: 'user', id: context.nextId(), ...at, content: { role: 'user', parts: [{ text: context.text }] } };

  const toolEvents: Array<Record<string, unknown>> = [];
  if (usesTool) {
    const callId = `adk-${context.invocationId}-call-1`;
    toolEvents.push(
      {
        ...base,
        id: context.nextId(),
        ...at,
        content: { role: 'model', parts: [{ function_call: { id: callId, name: toolName, args: { path: '.' } } }] },
        usage_metadata: { prompt_token_count: promptTokens, candidates_token_count: 5, total_token_count: promptTokens + 5 },
      },
      { ...base, id: context.nextId(), ...at, content: { role: 'user', parts: [{ function_response: { id: callId, name: toolName, response: toolResult } }] } },
    );
  }
  const partials = chunks(reply).map((chunk) => ({ ...base, id: context.nextId(), ...at, partial: true, content: { role: 'model', parts: [{ text: chunk }] } }));
  const replyPrompt = promptTokens + (usesTool ? 10 : 0);
  const final = {
    ...base,
    id: context.nextId(),
    ...at,
    content: { role: 'model', parts: [{ text: reply }] },
    actions: { state_delta: { turns: turn }, artifact_delta: {} },
    usage_metadata: { prompt_token_count: replyPrompt, candidates_token_count: words(reply), total_token_count: replyPrompt + words(reply) },
  };
  return { streamed: [...toolEvents, ...partials, final], stored: [user, ...toolEvents, final] };
}

/** Splits a reply into chunks of up to four words, keeping the spaces, as a model streams it. */
function chunks(text: string): string[] {
  return text.match(/(\S+\s*){1,4}/g) ?? [text];
}
