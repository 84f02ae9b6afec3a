import type { IncomingMessage, OutgoingHttpHeaders, Server, ServerResponse } from 'node:http';

export const defaultBodyLimitBytes = 1024 * 1024;

/** Why a request body could not be read; each emulator renders it in its provider's error format. */
export class RequestBodyError extends Error {
  constructor(
    readonly reason: 'too_large' | 'invalid_json',
    message: string,
  ) {
    super(message);
    this.name = 'RequestBodyError';
  }
}

/**
 * Reads and parses a JSON request body; an empty body gives `undefined`.
 * Past `limitBytes` the rest is drained, not buffered, and the socket stays
 * usable so the caller can still answer 413.
 */
export function readJsonBody(req: IncomingMessage, limitBytes = defaultBodyLimitBytes): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const tooLarge = () => new RequestBodyError('too_large', `request body exceeds ${limitBytes} bytes`);
    if (Number(req.headers['content-length']) > limitBytes) {
      req.resume();
      reject(tooLarge());
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limitBytes) {
        chunks.push(chunk);
        return;
      }
      req.off('data', onData).off('end', onEnd);
      req.resume();
      reject(tooLarge());
    };
    const onEnd = () => {
      const text = Buffer.concat(chunks).toString('utf8');
      if (text.trim() === '') return resolve(undefined);
      try {
        resolve(JSON.parse(text));
      } catch {
        reject(new RequestBodyError('invalid_json', 'request body is not valid JSON'));
      }
    };
    req.on('data', onData).on('end', onEnd).once('error', reject);
  });
}

/** Sends `body` as JSON; `undefined` sends an empty body (for 204s). */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: OutgoingHttpHeaders = {}): void {
  const text = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

/**
 * Starts a `text/event-stream` response and flushes its headers at once:
 * fetch-based clients (the Anthropic SDK among them) do not resolve until
 * headers arrive, and Node holds them back until the first body write.
 */
export function openEventStream(res: ServerResponse, headers: OutgoingHttpHeaders = {}): void {
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
    ...headers,
  });
  res.flushHeaders();
}

/**
 * Writes one SSE message with an `event:` line (SDKs drop messages without
 * one) and one JSON `data:` line. `onFlushed` runs once the bytes are handed
 * to the socket, e.g. to cut the connection right after a given message.
 */
export function writeEvent(res: ServerResponse, event: string, data: unknown, onFlushed?: () => void): boolean {
  if (/[\r\n]/.test(event)) throw new Error(`SSE event name must be one line: ${JSON.stringify(event)}`);
  return res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`, onFlushed);
}

/**
 * Resolves once the response's connection is gone (finished or the client
 * left). Listens on the response: `req` emits 'close' as soon as a GET's
 * empty body has been read, long before the client disconnects.
 */
export function untilClosed(res: ServerResponse): Promise<void> {
  if (res.closed) return Promise.resolve();
  return new Promise((resolve) => res.once('close', () => resolve()));
}

/** Starts listening and resolves with the port actually bound (0 picks a free one). */
export function listenOn(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : port);
    });
  });
}

/**
 * Stops the server. Open event streams never end on their own, so every
 * connection is closed first; otherwise `close()` would wait for them forever.
 */
export async function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}
