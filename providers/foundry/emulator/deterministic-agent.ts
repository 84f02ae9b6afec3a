import { countWords, splitIntoChunks } from '#libs/emulator-kit';

/**
 * The emulator's stand-in for the hosted agent's container: a pure function
 * from the conversation so far to what one turn produces. The reply quotes
 * this turn's and the previous turn's user text, so a test can prove the
 * session kept its history; a message with the word "tool" first calls a
 * function tool. Token counts derive from word counts, so tests can predict them.
 */

export interface AgentTurnInput {
  /** What the user says now. */
  text: string;
  /** What the user said in earlier turns of the conversation, oldest first. */
  earlierTexts: readonly string[];
  /** Words already in the conversation (all message items) before this turn. */
  contextWords: number;
}

export interface AgentToolCall {
  name: 'list_files';
  arguments: string;
  output: string;
}

export interface AgentTurnPlan {
  toolCall: AgentToolCall | null;
  reply: string;
  /** The reply split into the deltas it streams as; they concatenate back to `reply`. */
  chunks: string[];
  usage: { input_tokens: number; output_tokens: number };
}

const promptOverheadTokens = 30;
const tokensPerWord = 2;

export function planTurn(input: AgentTurnInput): AgentTurnPlan {
  const turn = input.earlierTexts.length + 1;
  const previous = input.earlierTexts.at(-1);
  const toolCall: AgentToolCall | null = /\btools?\b/i.test(input.text)
    ? { name: 'list_files', arguments: JSON.stringify({ path: '/files' }), output: 'notes.md\nreport.csv' }
    : null;
  const reply = [
    `Turn ${turn}. You said: "${input.text}".`,
    previous === undefined ? 'This is the start of our conversation.' : `Earlier you said: "${previous}".`,
    toolCall ? `The list_files tool found: ${toolCall.output.replace('\n', ', ')}.` : '',
  ]
    .filter(Boolean)
    .join(' ');
  const promptWords = input.contextWords + countWords(input.text) + (toolCall ? countWords(toolCall.output) : 0);
  return {
    toolCall,
    reply,
    chunks: splitIntoChunks(reply, 4),
    usage: {
      input_tokens: promptOverheadTokens + tokensPerWord * promptWords,
      output_tokens: tokensPerWord * countWords(reply) + (toolCall ? 8 : 0),
    },
  };
}
