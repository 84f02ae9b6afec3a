import { countWords, splitIntoChunks } from './text-chunks.js';

/**
 * The emulators' stand-in for a model, shared by all four so their agents
 * behave alike: a pure function from the conversation so far to what one
 * turn does. The reply quotes this turn's and the previous turn's user text,
 * so a test can prove the session kept its state; a message with the word
 * "tool" or "tools" first calls the emulator's one tool, and one that also
 * says "approval" makes that call wait for a person to allow or deny it (as
 * a tool whose permission policy always asks would). Every number derives
 * from word counts, so a test can predict it. Each emulator only translates
 * the plan into its provider's wire format.
 */

/** The word that makes the agent call its tool first ("tool" or "tools", any case, not "toolbox"). */
export const toolTrigger = /\btools?\b/i;

/** The word that makes the tool call wait for a person's approval first ("approval" or "approvals", any case). */
export const approvalTrigger = /\bapprovals?\b/i;

/** A person's answer to a tool call waiting for approval; `message` says why, for a denial. */
export interface AgentApproval {
  decision: 'allow' | 'deny';
  message?: string;
}

export interface AgentTurnInput {
  /** What the user says now. */
  text: string;
  /** What the user said in earlier turns, oldest first. */
  earlierTexts: readonly string[];
  /** Words already in the conversation before this turn, as far as the provider's agent sees it (user messages, and agent messages where it keeps them). */
  contextWords: number;
}

/** The emulator's one tool, in its provider's terms: what the call sends for a message, and what running it gives back. */
export interface AgentTool<Input> {
  name: string;
  input(text: string): Input;
  result(text: string): string;
}

export interface TokenUsage {
  inputTokens: number;
  outputTokens: number;
}

/** What one model call costs: its tokens and the emulated time it takes (running its tool included). */
export interface ModelCallCost {
  usage: TokenUsage;
  durationMs: number;
}

export interface AgentToolCall<Input> extends ModelCallCost {
  name: string;
  input: Input;
  result: string;
  /** The call waits for a person's approval before it runs (the message asked for it). */
  needsApproval: boolean;
  /** When it needed approval and was denied: why, as the agent reads it instead of a result. */
  denied?: string;
}

export interface AgentTurnPlan<Input> extends ModelCallCost {
  /** 1 for the session's first turn. */
  turn: number;
  /** The model call that asks for the tool, when the message triggers it; it comes before the reply. */
  toolCall?: AgentToolCall<Input>;
  reply: string;
  /** The reply split at word boundaries, as the model streams it; they concatenate back to `reply`. */
  chunks: string[];
}

const promptOverheadTokens = 40;
const tokensPerWord = 2;
const msPerModelCall = 400;
const msPerOutputToken = 10;
const msPerToolRun = 250;

const tokens = (text: string) => tokensPerWord * countWords(text);
const cost = (inputTokens: number, outputTokens: number, extraMs = 0): ModelCallCost => ({
  usage: { inputTokens, outputTokens },
  durationMs: msPerModelCall + msPerOutputToken * outputTokens + extraMs,
});

/**
 * Plans one turn. The prompt is a fixed overhead plus two tokens per word of
 * context and message; a tool call's output is its JSON arguments, and the
 * reply's prompt adds that call and the tool's result. A call that needs
 * approval is planned as if `approval` answered it (allowed when absent):
 * an emulator stops after the call until the answer comes, then plans again
 * with it and goes on from the call.
 */
export function planAgentTurn<Input>(input: AgentTurnInput, tool: AgentTool<Input>, approval?: AgentApproval): AgentTurnPlan<Input> {
  const turn = input.earlierTexts.length + 1;
  let context = promptOverheadTokens + tokensPerWord * input.contextWords + tokens(input.text);
  const sentences = [`Turn ${turn}.`, `You said: "${input.text}".`];
  const previous = input.earlierTexts.at(-1);
  if (previous !== undefined) sentences.push(`Earlier you said: "${previous}".`);

  let toolCall: AgentToolCall<Input> | undefined;
  if (toolTrigger.test(input.text)) {
    const call = { name: tool.name, input: tool.input(input.text), result: tool.result(input.text) };
    const callTokens = tokens(JSON.stringify(call.input));
    const needsApproval = approvalTrigger.test(input.text);
    const denied = needsApproval && approval?.decision === 'deny' ? (approval.message ?? 'denied') : undefined;
    toolCall = { ...call, ...cost(context, callTokens, denied === undefined ? msPerToolRun : 0), needsApproval, ...(denied === undefined ? {} : { denied }) };
    if (denied === undefined) {
      context += callTokens + tokens(call.result);
      sentences.push(`The ${call.name} tool returned: ${call.result}`);
    } else {
      context += callTokens + tokens(denied);
      sentences.push(`The ${call.name} tool was not run: ${denied}`);
    }
  }

  const reply = sentences.join(' ');
  return { turn, toolCall, reply, chunks: splitIntoChunks(reply), ...cost(context, tokens(reply)) };
}

/** The turn's tokens over all its model calls, for providers that report one usage per turn. */
export function totalUsage(plan: AgentTurnPlan<unknown>): TokenUsage {
  return {
    inputTokens: plan.usage.inputTokens + (plan.toolCall?.usage.inputTokens ?? 0),
    outputTokens: plan.usage.outputTokens + (plan.toolCall?.usage.outputTokens ?? 0),
  };
}
