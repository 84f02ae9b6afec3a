/** Word-level helpers of the deterministic emulator agent, so token counts and streamed chunks agree in every emulator. */

export const countWords = (text: string) => text.split(/\s+/).filter(Boolean).length;

/** Splits `text` at word boundaries into at most `parts` pieces that concatenate back to it. */
export function splitIntoChunks(text: string, parts = 3): string[] {
  const words = text.match(/\S+\s*/g) ?? [text];
  const size = Math.ceil(words.length / parts);
  const chunks: string[] = [];
  for (let index = 0; index < words.length; index += size) chunks.push(words.slice(index, index + size).join(''));
  return chunks;
}
