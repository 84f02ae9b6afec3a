import type { IncomingMessage, OutgoingHttpHeaders, Server, ServerResponse } from 'node:http';
import type { EmulatorStats } from './emulator-stats.js';

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

/** Bodies read ahead of their handler (see {@link bufferRequestBody}), as raw bytes. */
const bufferedBodies = new WeakMap<IncomingMessage, Promise<Buffer>>();

/**
 * Reads the whole request body now, so a handler that runs later (after an
 * injected `delay`) still gets it when the client has gone meanwhile: Node
 * destroys a request whose socket closed, and its unread body with it.
 * Rejects when the client left before sending the whole body.
 */
export function bufferRequestBody(req: IncomingMessage): Promise<Buffer> {
  const known = bufferedBodies.get(req);
  if (known) return known;
  const buffered = new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.once('end', () => resolve(Buffer.concat(chunks)));
    req.once('error', reject);
    req.once('close', () => reject(new Error('the client went away before sending the whole request body')));
  });
  // A caller that never asks for the body must not see an unhandled rejection.
  buffered.catch(() => undefined);
  bufferedBodies.set(req, buffered);
  return buffered;
}

function parseJsonText(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw new RequestBodyError('invalid_json', 'request body is not valid JSON');
  }
}

/**
 * Reads and parses a JSON request body; an empty body gives `undefined`.
 * Past `limitBytes` the rest is drained, not buffered, and the socket stays
 * usable so the caller can still answer 413. A body read ahead
 * ({@link bufferRequestBody}) is parsed from its buffer.
 */
export async function readJsonBody(req: IncomingMessage, limitBytes = defaultBodyLimitBytes): Promise<unknown> {
  const buffered = bufferedBodies.get(req);
  if (buffered) {
    const body = await buffered;
    if (body.length > limitBytes) throw new RequestBodyError('too_large', `request body exceeds ${limitBytes} bytes`);
    return parseJsonText(body.toString('utf8'));
  }
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
      try {
        resolve(parseJsonText(Buffer.concat(chunks).toString('utf8')));
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

/**
 * Counts the transport connections the server accepts as the stat
 * `transport.connections`: a client that keeps its connections alive opens
 * one for many calls, the way the real endpoints expect (a new connection to
 * a cloud is a TLS handshake, and the broker pays it on every turn).
 */
export function countConnections(server: Server, stats: EmulatorStats): void {
  server.on('connection', () => stats.count(transportConnectionsStat));
}

/** The stat {@link countConnections} keeps. */
export const transportConnectionsStat = 'transport.connections';

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
