import { request as httpsRequest, type Agent } from 'node:https';
import { Readable } from 'node:stream';

/**
 * A `fetch` for the `openai` client that sends every request through `agent`
 * (node:https), so the emulator's CA is trusted by this one client and
 * nothing else. Node's global fetch cannot take an https.Agent, and the
 * undici package that could configure it is not a dependency.
 *
 * Scope: what the `openai` client sends (buffered bodies, abort signals,
 * streamed responses); not a general-purpose fetch.
 */
export function fetchThroughAgent(agent: Agent): (input: string | URL | Request, init?: RequestInit) => Promise<Response> {
  return async (input, init) => {
    const request = new Request(input, init);
    const body = request.body ? Buffer.from(await request.arrayBuffer()) : undefined;
    return new Promise<Response>((resolve, reject) => {
      const outgoing = httpsRequest(request.url, { method: request.method, headers: Object.fromEntries(request.headers), agent, signal: request.signal }, (incoming) => {
        const headers = new Headers();
        for (let index = 0; index < incoming.rawHeaders.length; index += 2) headers.append(incoming.rawHeaders[index], incoming.rawHeaders[index + 1]);
        const status = incoming.statusCode ?? 500;
        const hasBody = status !== 204 && status !== 304 && request.method !== 'HEAD';
        if (!hasBody) incoming.resume();
        resolve(new Response(hasBody ? (Readable.toWeb(incoming) as ReadableStream<Uint8Array>) : null, { status, statusText: incoming.statusMessage, headers }));
      });
      outgoing.once('error', reject);
      outgoing.end(body);
    });
  };
}
