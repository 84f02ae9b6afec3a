import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request the receiver took, with whether its Standard Webhooks signature verified. */
export interface ReceivedWebhook {
  path: string;
  id: string;
  timestamp: number;
  signatureValid: boolean;
  raw: string;
  // Tests read arbitrary members of the body.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
  receivedAt: number;
}

/**
 * Verifies a Standard Webhooks signature independently of the broker's code:
 * HMAC-SHA256 keyed with the base64-decoded part of `whsec_…` over
 * `id.timestamp.body`, compared in constant time with each `v1,` signature.
 */
export function verifyStandardWebhook(secret: string, id: string, timestamp: string, body: string, header: string): boolean {
  const expected = createHmac('sha256', Buffer.from(secret.replace(/^whsec_/, ''), 'base64')).update(`${id}.${timestamp}.${body}`).digest();
  return header.split(' ').some((signature) => {
    const [version, value] = signature.split(',');
    const presented = Buffer.from(value ?? '', 'base64');
    return version === 'v1' && presented.length === expected.length && timingSafeEqual(presented, expected);
  });
}

/**
 * A real HTTP receiver on loopback. Each webhook posts to its own path
 * (`/hook/<name>`); `secretFor(path)` is set once the broker answered with
 * the secret. `answer` decides each response (default 200).
 */
export class WebhookReceiver {
  /** Requests answered 2xx (what the receiver accepted). */
  readonly received: ReceivedWebhook[] = [];
  /** Every request, whatever it was answered. */
  readonly attempts: ReceivedWebhook[] = [];
  private readonly secrets = new Map<string, string>();
  private waiters: Array<() => void> = [];
  answer: (request: ReceivedWebhook, attempt: number) => number | Promise<number> = () => 200;
  private readonly attemptsById = new Map<string, number>();
  private readonly server = createServer((request, response) => void this.handle(request, response));
  url = '';

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  hookUrl(name: string): string {
    return `${this.url}/hook/${name}`;
  }

  setSecret(name: string, secret: string): void {
    this.secrets.set(`/hook/${name}`, secret);
  }

  /** Requests that reached one hook (every attempt, in arrival order). */
  at(name: string): ReceivedWebhook[] {
    return this.received.filter((entry) => entry.path === `/hook/${name}`);
  }

  /** Waits until `condition` holds over what was received (checked on each arrival), or fails after `timeoutMs`. */
  async until(condition: () => boolean, timeoutMs = 20_000, what = 'webhooks'): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}; received ${this.received.length}: ${this.received.map((entry) => `${entry.path} ${entry.body?.type}`).join(', ')}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 200));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const path = request.url ?? '';
    const id = String(request.headers['webhook-id'] ?? '');
    const timestamp = String(request.headers['webhook-timestamp'] ?? '');
    const secret = this.secrets.get(path);
    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch {
      body = undefined;
    }
    const entry: ReceivedWebhook = {
      path,
      id,
      timestamp: Number(timestamp),
      signatureValid: secret !== undefined && verifyStandardWebhook(secret, id, timestamp, raw, String(request.headers['webhook-signature'] ?? '')),
      raw,
      body,
      receivedAt: Date.now(),
    };
    const attempt = (this.attemptsById.get(id) ?? 0) + 1;
    this.attemptsById.set(id, attempt);
    this.attempts.push(entry);
    const status = await this.answer(entry, attempt);
    if (status >= 200 && status < 300) this.received.push(entry);
    response.writeHead(status, { 'content-type': 'text/plain' }).end(status < 300 ? 'ok' : `no (${status})`);
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }
}
