/** One parsed Server-Sent Event as the broker sends it. */
export interface ReceivedEvent {
  event: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  data: any;
}

/** Reads a whole SSE body into events (comments and heartbeats dropped). */
export function parseSse(body: string): ReceivedEvent[] {
  return body
    .split('\n\n')
    .map(parseBlock)
    .filter((event): event is ReceivedEvent => event !== undefined);
}

function parseBlock(block: string): ReceivedEvent | undefined {
  const lines = block.split('\n').filter((line) => line && !line.startsWith(':'));
  if (lines.length === 0) return undefined;
  const event = lines.find((line) => line.startsWith('event: '))?.slice(7) ?? 'message';
  const data = lines
    .filter((line) => line.startsWith('data: '))
    .map((line) => line.slice(6))
    .join('\n');
  return { event, data: data ? JSON.parse(data) : undefined };
}

/** The events of an SSE response as they arrive (to act while the stream runs). */
export async function* sseEvents(response: Response): AsyncGenerator<ReceivedEvent> {
  if (!response.body) return;
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of response.body) {
    buffer += decoder.decode(chunk as Uint8Array, { stream: true });
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const event = parseBlock(buffer.slice(0, end));
      buffer = buffer.slice(end + 2);
      if (event) yield event;
    }
  }
}
