import type { Response } from 'express';

/**
 * Server-Sent Events on an Express response: each event flushed as written
 * (no buffering, Nagle off), a comment heartbeat every 15 s, and a `closed`
 * flag when the client goes away (writing then becomes a no-op: the turn
 * carries on and is recorded).
 */
export class SseWriter {
  private heartbeat: NodeJS.Timeout | undefined;
  private opened = false;
  closed = false;

  constructor(
    private readonly response: Response,
    private readonly heartbeatMs = 15_000,
  ) {
    response.once('close', () => {
      this.closed = true;
      this.stopHeartbeat();
    });
  }

  get isOpen(): boolean {
    return this.opened;
  }

  open(): void {
    if (this.opened) return;
    this.opened = true;
    this.response.status(200);
    this.response.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
    this.response.setHeader('Cache-Control', 'no-cache, no-transform');
    this.response.setHeader('Connection', 'keep-alive');
    // Reverse proxies (nginx) must not buffer the stream either.
    this.response.setHeader('X-Accel-Buffering', 'no');
    this.response.flushHeaders();
    this.response.socket?.setNoDelay(true);
    this.heartbeat = setInterval(() => this.write(': heartbeat\n\n'), this.heartbeatMs);
    this.heartbeat.unref();
  }

  send(event: { seq: number; type: string }): void {
    this.write(`id: ${event.seq}\nevent: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`);
  }

  end(): void {
    this.stopHeartbeat();
    if (!this.closed) this.response.end();
  }

  private write(chunk: string): void {
    if (!this.closed) this.response.write(chunk);
  }

  private stopHeartbeat(): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = undefined;
  }
}
