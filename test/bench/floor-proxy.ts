import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import { fileURLToPath } from 'node:url';

/**
 * The floor a broker is measured against (issue 17): a minimal Node
 * pass-through proxy with no database, no auth and no bookkeeping, between
 * the provider's SDK and its emulator. What a brokered turn costs beyond
 * this is the broker's own work (durable claims and records, limits,
 * audit); what this costs beyond the direct call is the price of any hop.
 *
 * HTTP/1.1 is proxied as HTTP (requests parsed, forwarded on a keep-alive
 * agent, responses streamed back), as the broker itself must; TLS and
 * HTTP/2 (gRPC) connections are piped as bytes, the least a hop can do
 * without their keys or an HTTP/2 stack.
 */
export function serveFloorProxy(target: URL, port = 0): Promise<net.Server> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1024 });
  const httpProxy = http.createServer((request, response) => {
    const upstream = http.request(
      { host: target.hostname, port: Number(target.port), method: request.method, path: request.url, headers: { ...request.headers, host: target.host }, agent },
      (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        // An event stream's headers go out before its first event, as the upstream sent them (a client may wait for them to send its turn).
        response.flushHeaders();
        answer.pipe(response);
      },
    );
    upstream.on('error', () => response.destroy());
    // A client that leaves (the Claude SDK closes a session's event stream at each turn's end) ends the upstream request too:
    // left open, every turn leaked an upstream event stream, which the emulator kept feeding, and the floor slowed turn by turn.
    response.on('close', () => {
      if (!response.writableFinished) upstream.destroy();
    });
    request.pipe(upstream);
  });
  // Nagle off on both sides, as Node's own HTTP server and client set it (and the broker's event streams do):
  // with it on, a small write waits for the peer's delayed ACK (~40 ms) and the floor is slower than the broker.
  const server = net.createServer({ noDelay: true }, (socket) => {
    socket.once('data', (first) => {
      socket.pause();
      // A TLS ClientHello starts with 0x16; HTTP/2 with its "PRI * HTTP/2.0" preface.
      if (first[0] === 0x16 || first.subarray(0, 3).toString() === 'PRI') {
        const upstream = net.connect({ port: Number(target.port), host: target.hostname, noDelay: true }, () => {
          upstream.write(first);
          socket.pipe(upstream).pipe(socket);
          socket.resume();
        });
        upstream.on('error', () => socket.destroy());
        socket.on('error', () => upstream.destroy());
        return;
      }
      socket.unshift(first);
      httpProxy.emit('connection', socket);
      socket.resume();
    });
  });
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(server)));
}

/** The proxy in a process of its own (as the broker runs in its own), so its CPU is measured apart. */
export async function spawnFloorProxy(target: string): Promise<{ child: ChildProcess; url: string; address: { host: string; port: number } }> {
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), target], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /floor proxy listening on (\d+)/.exec(output);
      if (match) resolve(Number(match[1]));
    });
    child.once('exit', (code) => reject(new Error(`the floor proxy exited (${code}): ${output}`)));
  });
  const url = new URL(target);
  url.port = String(port);
  return { child, url: url.toString().replace(/\/$/, ''), address: { host: '127.0.0.1', port } };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const server = await serveFloorProxy(new URL(process.argv[2]));
  process.stdout.write(`floor proxy listening on ${(server.address() as net.AddressInfo).port}\n`);
}
