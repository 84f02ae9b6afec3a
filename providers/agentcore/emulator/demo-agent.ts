import { countWords, splitIntoChunks } from '#libs/emulator-kit';

/**
 * The emulator's agent: a pure function from the session's memory and the
 * new prompt to what the turn does. The reply quotes the prompt and the
 * previous one, so a test can prove the microVM kept its state; a prompt
 * with the word "tool" calls the `echo` tool first. Token counts derive from
 * word counts so tests can predict them.
 */
export interface AgentTurnPlan {
  turn: number;
  tool?: { id: string; name: 'echo'; input: { text: string }; result: string; usage: TokenUsage };
  reply: string;
  /** The reply split at word boundaries, as the model would stream it. */
  chunks: string[];
  usage: TokenUsage;
}

export interface TokenUsage {
  inputTokens: number;
  outputTokens: number;
}

const promptOverheadTokens = 40;
const tokensPerWord = 2;

const tokens = (text: string) => tokensPerWord * countWords(text);

export function planAgentTurn(history: readonly string[], prompt: string, toolUseId: string): AgentTurnPlan {
  const turn = history.length + 1;
  const context = promptOverheadTokens + history.reduce((sum, text) => sum + tokens(text), 0) + tokens(prompt);
  const sentences = [`Turn ${turn}.`, `You said: "${prompt}".`];
  const previous = history.at(-1);
  if (previous !== undefined) sentences.push(`Earlier you said: "${previous}".`);
  let tool: AgentTurnPlan['tool'];
  if (/\btool\b/i.test(prompt)) {
    const input = { text: prompt };
    tool = { id: toolUseId, name: 'echo', input, result: prompt, usage: { inputTokens: context, outputTokens: tokens(JSON.stringify(input)) } };
    sentences.push(`The echo tool returned: ${prompt}`);
  }
  const reply = sentences.join(' ');
  const replyContext = context + (tool ? tool.usage.outputTokens + tokens(tool.result) : 0);
  return { turn, tool, reply, chunks: splitIntoChunks(reply), usage: { inputTokens: replyContext, outputTokens: tokens(reply) } };
}
