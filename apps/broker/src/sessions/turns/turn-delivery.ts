import type { Request, Response } from 'express';
import type { SessionEventView } from '../session.schemas.js';
import type { TurnFollowSink } from './live/turn-follower.js';
import { SseWriter, type SseLimits } from './sse-writer.js';
import type { SettledTurn } from './turn-settlement.js';

/**
 * Where a turn's answer goes, as the turn pipeline sees it. Nothing reaches
 * the client before `open` (the provider accepted the turn): a turn refused
 * before that is answered as problem+json with its status, in both modes.
 */
export interface TurnDelivery {
  /**
   * The request repeats an earlier one (same `Idempotency-Key`): its answer
   * is that request's turn. Returns where to follow it for an event stream
   * (undefined for JSON, which answers the ended turn with `finish`).
   */
  repeated(): TurnFollowSink | undefined;
  /** The provider accepted the turn. */
  open(): void;
  /** An event of the turn, as it happens (after `open`). */
  send(event: SessionEventView): void;
  /** The turn is recorded: answer it. Throws the turn's problem when the client is still owed a status. */
  finish(settled: SettledTurn): void;
}

/** Server-Sent Events: each event as it happens; the stream ends after the terminal event. */
class EventStreamDelivery implements TurnDelivery {
  constructor(
    private readonly writer: SseWriter,
    private readonly response: Response,
  ) {}

  repeated(): TurnFollowSink {
    this.response.setHeader('Idempotent-Replayed', 'true');
    return followSinkOf(this.writer, this.response);
  }

  open(): void {
    this.writer.open();
  }

  send(event: SessionEventView): void {
    if (this.writer.isOpen) this.writer.send(event);
  }

  finish(settled: SettledTurn): void {
    if (!this.writer.isOpen && settled.problem) throw settled.problem;
    this.writer.end();
  }
}

/** JSON: the finished turn, or its problem (a failed turn's problem carries the turn). */
class JsonDelivery implements TurnDelivery {
  constructor(private readonly response: Response) {}

  repeated(): undefined {
    this.response.setHeader('Idempotent-Replayed', 'true');
    return undefined;
  }

  open(): void {}

  send(): void {}

  finish(settled: SettledTurn): void {
    if (settled.problem) throw settled.problem;
    this.response.status(200).json({ turn: settled.turn });
  }
}

/** The delivery the client asked for: an event stream with `Accept: text/event-stream`, else JSON. */
export function turnDeliveryFor(request: Request, response: Response, limits: SseLimits): TurnDelivery {
  return (request.header('accept') ?? '').includes('text/event-stream') ? new EventStreamDelivery(new SseWriter(response, limits), response) : new JsonDelivery(response);
}

/** A followed turn's events as Server-Sent Events (GET .../turns/{turnId}/events): the stream ends after the terminal event. */
export function followDeliveryFor(response: Response, limits: SseLimits): TurnFollowSink {
  return followSinkOf(new SseWriter(response, limits), response);
}

function followSinkOf(writer: SseWriter, response: Response): TurnFollowSink {
  const gone = new Promise<void>((resolve) => response.once('close', () => resolve()));
  return {
    open: () => writer.open(),
    send: (event) => writer.send(event),
    end: () => writer.end(),
    gone,
  };
}

/** Whether the client asked for an event stream. */
export function wantsEventStream(request: Request): boolean {
  return (request.header('accept') ?? '').includes('text/event-stream');
}
