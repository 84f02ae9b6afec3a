import type { Turn, TurnRequest } from './api-types.js';
import { NetworkError, ProblemError, type ProblemDetails } from './errors.js';
import { isTerminal, type TurnEvent } from './events.js';
import { parseEventStream } from './sse.js';
import { newIdempotencyKey, route, type CallOptions, type Transport } from './transport.js';

/** A turn's input: text, or the whole request (content blocks, approvals). */
export type TurnInput = string | TurnRequest;

export interface StreamOptions extends CallOptions {
  /** Reconnections after a dropped connection before giving up with a NetworkError; default 5. */
  maxResumes?: number;
}

export interface ResumeOptions extends StreamOptions {
  /** The seq of the last event already received: the stream resumes after it (Last-Event-ID). */
  after?: number;
}

const eventStream = 'text/event-stream';
const body = (input: TurnInput): TurnRequest => (typeof input === 'string' ? { input } : input);

/**
 * Turns of a session (API.md §4): run one (JSON or streamed), read, follow
 * and cancel it. Streams survive dropped connections: the client reconnects
 * with `Last-Event-ID` (the seq of the last event it yielded) and yields
 * each event once, in order.
 */
export class Turns {
  constructor(private readonly transport: Transport) {}

  /** Runs a turn and answers the finished turn (JSON mode). An Idempotency-Key makes the send safe to retry. */
  async send(sessionId: string, input: TurnInput, call: CallOptions = {}): Promise<Turn> {
    const answer = await this.transport.json<{ turn: Turn }>(
      { method: 'POST', path: route`/v1/sessions/${sessionId}/turns`, body: body(input), idempotent: true },
      call,
    );
    return answer.turn;
  }

  /** Runs a turn and yields its events as they happen, to `turn.completed` or `turn.failed`. */
  async *stream(sessionId: string, input: TurnInput, options: StreamOptions = {}): AsyncGenerator<TurnEvent> {
    // One key for every attempt: a repeat attaches to the same turn, the runtime never runs it twice.
    const call = { ...options, idempotencyKey: options.idempotencyKey ?? newIdempotencyKey() };
    let last: TurnEvent | undefined;
    let resumes = 0;
    for (;;) {
      try {
        const response = await this.transport.open(
          { method: 'POST', path: route`/v1/sessions/${sessionId}/turns`, body: body(input), idempotent: true, accept: eventStream },
          call,
        );
        for await (const event of eventsOf(response, last?.seq)) {
          last = event;
          yield event;
          if (isTerminal(event)) return;
        }
      } catch (error) {
        if (!(error instanceof NetworkError) || options.signal?.aborted || resumes >= (options.maxResumes ?? 5)) throw error;
      }
      resumes++;
      // Once the turn is known, follow it by id (any replica); before that, the repeated POST attaches to it.
      if (last?.turnId) {
        yield* this.resume(sessionId, last.turnId, { ...options, after: last.seq, maxResumes: (options.maxResumes ?? 5) - resumes });
        return;
      }
    }
  }

  /** Follows a turn (GET …/turns/{turnId}/events): the events after `after`, then live until it ends. */
  async *resume(sessionId: string, turnId: string, options: ResumeOptions = {}): AsyncGenerator<TurnEvent> {
    let after = options.after;
    let resumes = 0;
    for (;;) {
      try {
        const response = await this.transport.open(
          {
            method: 'GET',
            path: route`/v1/sessions/${sessionId}/turns/${turnId}/events`,
            accept: eventStream,
            headers: after === undefined ? {} : { 'last-event-id': String(after) },
          },
          options,
        );
        for await (const event of eventsOf(response, after)) {
          after = event.seq;
          resumes = 0;
          yield event;
          if (isTerminal(event)) return;
        }
      } catch (error) {
        if (!(error instanceof NetworkError) || options.signal?.aborted || resumes >= (options.maxResumes ?? 5)) throw error;
      }
      resumes++;
      await new Promise((resolve) => setTimeout(resolve, 200 * resumes));
    }
  }

  /** The turn as a resource: `running`, `completed`, `failed` or `requires_action`. */
  async get(sessionId: string, turnId: string, call?: CallOptions): Promise<Turn> {
    return (await this.transport.json<{ turn: Turn }>({ method: 'GET', path: route`/v1/sessions/${sessionId}/turns/${turnId}` }, call)).turn;
  }

  /** Cancels a running turn (it ends with `turn.failed` code `cancelled`); an ended turn answers its final view. */
  async cancel(sessionId: string, turnId: string, call?: CallOptions): Promise<Turn> {
    return (await this.transport.json<{ turn: Turn }>({ method: 'POST', path: route`/v1/sessions/${sessionId}/turns/${turnId}/cancel` }, call)).turn;
  }
}

/**
 * The typed events of one event-stream response, skipping any the caller
 * already has (seq ≤ after). A stream that ends before a terminal event, or
 * breaks, is a NetworkError (the caller resumes); an `error` event is the
 * broker's problem.
 */
async function* eventsOf(response: Response, after: number | undefined): AsyncGenerator<TurnEvent> {
  if (!response.body) throw new NetworkError('the event stream has no body');
  try {
    for await (const message of parseEventStream(response.body)) {
      if (message.event === 'error') throw new ProblemError(JSON.parse(message.data) as ProblemDetails);
      const event = JSON.parse(message.data) as TurnEvent;
      if (after !== undefined && event.seq <= after) continue;
      yield event;
      if (isTerminal(event)) return;
    }
  } catch (error) {
    if (error instanceof ProblemError || error instanceof SyntaxError) throw error;
    throw new NetworkError(`the event stream broke: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  throw new NetworkError('the event stream ended before the turn did');
}
