import type { Response } from 'express';
import { logger } from '../../logging/logger.js';

/** Where a response's event stream is kept, so the error filter can end it as a stream (see `SseWriter.of`). */
const writerKey = Symbol('sse-writer');

export interface SseLimits {
  heartbeatMs: number;
  /** How far the stream may fall behind the client (bytes not yet taken by the socket) before it is dropped. */
  maxBufferedBytes: number;
}

/**
 * Server-Sent Events on an Express response: each event flushed as written
 * (no buffering, Nagle off), a comment heartbeat, and a `closed` flag when
 * the client goes away or is dropped (writing then becomes a no-op: the turn
 * carries on and is recorded).
 *
 * Nothing is ever written after the end, whoever ended the response (a write
 * after end is an 'error' event, and an unhandled one kills the process), and
 * a client that does not read costs at most `maxBufferedBytes` plus one
 * event: past that the connection is dropped rather than the heap filled.
 */
export class SseWriter {
  private heartbeat: NodeJS.Timeout | undefined;
  private opened = false;
  private ended = false;
  closed = false;
  /** The connection was dropped because the client fell too far behind. */
  dropped = false;

  constructor(
    private readonly response: Response,
    private readonly limits: SseLimits,
  ) {
    (response.locals as Record<symbol, unknown>)[writerKey] = this;
    response.once('close', () => {
      this.closed = true;
      this.stopHeartbeat();
    });
    // Whatever goes wrong on the wire ends this stream, never the process.
    response.on('error', (error) => {
      logger.debug({ err: error }, 'event stream write failed');
      this.closed = true;
      this.stopHeartbeat();
    });
  }

  /** The open event stream on this response, if any. */
  static of(response: Response): SseWriter | undefined {
    const writer = (response.locals as Record<symbol, unknown> | undefined)?.[writerKey];
    return writer instanceof SseWriter && writer.isOpen ? writer : undefined;
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
    // The headers go out with the first event when one is written in this tick (a turn's `turn.started`
    // is): one socket write instead of two. A socket write costs the broker more CPU than anything else
    // a turn does here (about 0.3 ms on loopback, issue 17's profile). Otherwise they go out next tick.
    process.nextTick(() => {
      if (!this.response.headersSent && this.writable()) this.response.flushHeaders();
    });
    this.response.socket?.setNoDelay(true);
    this.heartbeat = setInterval(() => this.write(': heartbeat\n\n'), this.limits.heartbeatMs);
    this.heartbeat.unref();
  }

  send(event: { seq: number; type: string }): void {
    this.write(`id: ${event.seq}\nevent: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`);
  }

  /**
   * Ends the stream with an `error` event carrying the problem: a failure
   * after the stream opened cannot change the status any more.
   */
  fail(problem: Record<string, unknown>): void {
    this.write(`event: error\ndata: ${JSON.stringify(problem)}\n\n`);
    this.end();
  }

  end(): void {
    this.stopHeartbeat();
    if (this.ended) return;
    this.ended = true;
    if (this.writable()) this.response.end();
  }

  private writable(): boolean {
    return !this.closed && !this.response.writableEnded && !this.response.destroyed;
  }

  private write(chunk: string): void {
    // Before `open` nothing may be written: the response would go out as a bare body without its headers.
    if (!this.opened || this.ended || !this.writable()) return;
    // Checked before the write, so one event larger than the bound still goes to a client that keeps up.
    const behind = this.response.writableLength;
    if (behind > this.limits.maxBufferedBytes) {
      this.drop(behind);
      return;
    }
    this.response.write(chunk);
  }

  private drop(behind: number): void {
    this.dropped = true;
    this.closed = true;
    this.stopHeartbeat();
    logger.warn({ bufferedBytes: behind, maxBufferedBytes: this.limits.maxBufferedBytes }, 'event stream client fell too far behind: connection dropped, the turn goes on');
    this.response.destroy();
  }

  private stopHeartbeat(): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = undefined;
  }
}
