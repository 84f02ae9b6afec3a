import type { Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { HttpConfig } from '#libs/config';
import { AppError, errorCatalog, invalidRequest } from '#libs/errors';
import { newId } from '#libs/ids';
import { problemBody, problemContentType } from './problem-details.js';

/**
 * Bounds how long a client may take to send a request (Node waits 300 s by
 * default, so a client dribbling a body held a connection that long).
 * `requestTimeout` covers receiving the request only, not sending the
 * response: a streamed turn runs as long as it runs. Call before `listen`.
 */
export function configureHttpServer(server: Server, http: HttpConfig): void {
  server.requestTimeout = http.requestTimeoutMs;
  server.headersTimeout = http.headersTimeoutMs;
  server.keepAliveTimeout = http.keepAliveTimeoutMs;
  // Node enforces both timeouts from a sweep on this interval (30 s by default, read at `listen`), so without
  // it a 30 s timeout acts after up to 60 s. A sweep walks the open connections: cheap at once a second.
  const shortest = Math.min(http.requestTimeoutMs, http.headersTimeoutMs);
  Object.assign(server, { connectionsCheckingInterval: Math.max(100, Math.min(1000, Math.floor(shortest / 4))) });
  server.on('clientError', answerClientError);
}

/** What Node reports for a request it could not hand to the app, as the problem the client gets. */
function problemFor(code: string | undefined): AppError {
  switch (code) {
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return new AppError('request_timeout', 'the request was not received in time');
    case 'HPE_HEADER_OVERFLOW':
      return new AppError('headers_too_large', 'the request headers are too large');
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return new AppError('payload_too_large', 'the chunk extensions are too large');
    default:
      return invalidRequest('the request is not valid HTTP');
  }
}

/**
 * Node's own answer (a bare status line) replaced by problem+json, under the
 * same conditions: only while nothing of a response has gone out, and only
 * to a peer still there. The connection is closed either way.
 */
function answerClientError(error: NodeJS.ErrnoException, socket: Duplex): void {
  // Node keeps the in-flight response here; its own default handler checks the same field.
  const response = (socket as Duplex & { _httpMessage?: { headersSent: boolean } })._httpMessage;
  if (error.code !== 'ECONNRESET' && socket.writable && !response?.headersSent) {
    const problem = problemFor(error.code);
    const requestId = newId('req');
    const body = JSON.stringify(problemBody(problem, requestId));
    socket.write(
      `HTTP/1.1 ${problem.status} ${errorCatalog[problem.code].title}\r\n` +
        `Content-Type: ${problemContentType}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
        `X-Request-Id: ${requestId}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}
