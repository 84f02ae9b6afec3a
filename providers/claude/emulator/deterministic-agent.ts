/**
 * The emulator's stand-in for a model: a pure function from the
 * conversation so far to what one turn does. Replies quote the current and
 * the previous message so a test can prove the session kept its state, and
 * every number is derived from word counts so a test can predict it.
 */

export interface TurnInput {
  /** 1 for the session's first turn. */
  turn: number;
  text: string;
  /** What the user said in earlier turns, oldest first. */
  earlierTexts: readonly string[];
  /** Words already in the conversation (user and agent messages) before this turn. */
  contextWords: number;
}

export interface ModelUsage {
  input_tokens: number;
  output_tokens: number;
}

interface ModelRequestCost {
  usage: ModelUsage;
  /** Emulated time the call takes, running its tool included. */
  durationMs: number;
}

/** One model call: it either asks for a tool or writes the reply. */
export type ModelRequestPlan =
  | (ModelRequestCost & { kind: 'tool_use'; name: 'bash'; input: { command: string }; result: string })
  | (ModelRequestCost & { kind: 'message'; text: string; chunks: string[] });

export interface TurnPlan {
  modelRequests: ModelRequestPlan[];
}

const promptOverheadTokens = 40;
const tokensPerWord = 2;
const msPerModelRequest = 400;
const msPerOutputToken = 10;
const msPerToolRun = 250;

export const countWords = (text: string) => text.split(/\s+/).filter(Boolean).length;

const tokens = (text: string) => tokensPerWord * countWords(text);
const cost = (input_tokens: number, output_tokens: number, extraMs = 0): ModelRequestCost => ({
  usage: { input_tokens, output_tokens },
  durationMs: msPerModelRequest + msPerOutputToken * output_tokens + extraMs,
});
const shellQuote = (text: string) => `'${text.replaceAll("'", `'\\''`)}'`;

/** Splits `text` at word boundaries into at most `parts` pieces that concatenate back to it. */
export function splitIntoChunks(text: string, parts = 3): string[] {
  const words = text.match(/\S+\s*/g) ?? [text];
  const size = Math.ceil(words.length / parts);
  const chunks: string[] = [];
  for (let index = 0; index < words.length; index += size) chunks.push(words.slice(index, index + size).join(''));
  return chunks;
}

export function planTurn(input: TurnInput): TurnPlan {
  const modelRequests: ModelRequestPlan[] = [];
  let context = promptOverheadTokens + tokensPerWord * input.contextWords + tokens(input.text);
  const sentences = [`Turn ${input.turn}.`, `You said: "${input.text}".`];
  const previous = input.earlierTexts.at(-1);
  if (previous !== undefined) sentences.push(`Earlier you said: "${previous}".`);

  if (/\btool\b/i.test(input.text)) {
    const command = `echo ${shellQuote(input.text)}`;
    modelRequests.push({ kind: 'tool_use', ...cost(context, tokens(command), msPerToolRun), name: 'bash', input: { command }, result: input.text });
    context += tokens(command) + tokens(input.text);
    sentences.push(`The bash tool printed: ${input.text}`);
  }

  const reply = sentences.join(' ');
  modelRequests.push({ kind: 'message', ...cost(context, tokens(reply)), text: reply, chunks: splitIntoChunks(reply) });
  return { modelRequests };
}
