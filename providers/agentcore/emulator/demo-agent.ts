import { countWords, planAgentTurn, type AgentTool, type AgentTurnPlan } from '#libs/emulator-kit';

/**
 * The agent in the emulated microVM: the emulators' shared deterministic
 * agent (`#libs/emulator-kit`) with an `echo` tool. Its memory is the
 * microVM's prompts only, so that is all the context it counts.
 */
export type DemoTurnPlan = AgentTurnPlan<{ text: string }> & {
  /** The Bedrock-style id of the tool use, when there is one. */
  toolUseId: string;
};

const echo: AgentTool<{ text: string }> = { name: 'echo', input: (text) => ({ text }), result: (text) => text };

export function planDemoTurn(history: readonly string[], prompt: string, toolUseId: string): DemoTurnPlan {
  const contextWords = history.reduce((sum, text) => sum + countWords(text), 0);
  return { ...planAgentTurn({ text: prompt, earlierTexts: history, contextWords }, echo), toolUseId };
}
