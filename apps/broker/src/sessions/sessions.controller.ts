import { Controller, Delete, Get, Headers, Inject, Post, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import type { AppConfig } from '#libs/config';
import { invalidRequest } from '#libs/errors';
import { appConfigToken } from '../app.tokens.js';
import { problemResponses } from '../http/problem-responses.js';
import { Route, Valid, type RouteSpec } from '../http/route-spec.js';
import { createSessionExample, sessionExample, turnExample, turnResultExample } from './session.examples.js';
import { eventPage, turnStreamData } from './session-event.schemas.js';
import {
  createSessionBody,
  listEventsQuery,
  listSessionsQuery,
  sessionIdParams,
  sessionPage,
  sessionView,
  turnBody,
  turnEventsQuery,
  turnIdParams,
  turnResourceView,
  turnView,
  type CreateSessionBody,
  type TurnEventsQuery,
  type ListSessionsQuery,
  type TurnBody,
} from './session.schemas.js';
import { SessionsService, sessionCaller } from './sessions.service.js';
import { TurnCancellations } from './turns/live/turn-cancellation.js';
import { TurnFollower } from './turns/live/turn-follower.js';
import { TurnResources } from './turns/live/turn-resources.js';
import { followDeliveryFor, turnDeliveryFor, wantsEventStream } from './turns/turn-delivery.js';
import { TurnsService } from './turns/turns.service.js';

const app = { kind: 'tenant', roles: ['app'], endUser: true } as const;
const endUserHeader: RouteSpec['headers'] = {
  'X-End-User': { description: 'The end user this call acts for (API keys): 1-256 printable characters, not starting with "jwt:" (the namespace of JWT users); not with a JWT', required: false },
};
const replayedHeader = { 'Idempotent-Replayed': '`true` when this answers an earlier request with the same Idempotency-Key' };
const idempotencyKeyPattern = /^[\x21-\x7e]{1,255}$/;
const lastEventIdPattern = /^\d{1,15}$/;

function checkIdempotencyKey(key: string | undefined): void {
  if (key !== undefined && !idempotencyKeyPattern.test(key)) {
    throw invalidRequest('Idempotency-Key is malformed', [{ path: 'headers.idempotency-key', message: 'must be 1-255 printable characters' }]);
  }
}

@Controller('v1/sessions')
export class SessionsController {
  constructor(
    private readonly sessions: SessionsService,
    private readonly turns: TurnsService,
    private readonly turnResources: TurnResources,
    private readonly follower: TurnFollower,
    private readonly cancellations: TurnCancellations,
    @Inject(appConfigToken) private readonly config: AppConfig,
  ) {}

  @Post()
  @Route({
    operationId: 'createSession',
    summary: 'Create a session bound to the calling end user',
    tag: 'Sessions',
    access: app,
    body: createSessionBody,
    bodyExample: createSessionExample,
    headers: { ...endUserHeader, 'Idempotency-Key': { description: 'Same key and body within 24 h returns the same session', required: false, pattern: idempotencyKeyPattern } },
    responses: { 201: { description: 'The session', schema: sessionView, example: sessionExample, headers: replayedHeader }, ...problemResponses(400, 401, 403, 404, 409, 429, 502, 503, 504) },
  })
  async create(
    @Valid('body') body: CreateSessionBody,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
    @Res({ passthrough: true }) response: Response,
  ) {
    checkIdempotencyKey(idempotencyKey);
    const { session, replayed } = await this.sessions.create(body, idempotencyKey);
    if (replayed) response.setHeader('Idempotent-Replayed', 'true');
    return session;
  }

  @Get()
  @Route({
    operationId: 'listSessions',
    summary: "The calling user's sessions, newest first",
    tag: 'Sessions',
    access: app,
    query: listSessionsQuery,
    headers: endUserHeader,
    responses: { 200: { description: 'A page of sessions', schema: sessionPage }, ...problemResponses(400, 401, 403) },
  })
  list(@Valid('query') query: ListSessionsQuery) {
    return this.sessions.list(query);
  }

  @Get(':id')
  @Route({
    operationId: 'getSession',
    summary: 'One session',
    tag: 'Sessions',
    access: app,
    params: sessionIdParams,
    headers: endUserHeader,
    responses: { 200: { description: 'The session', schema: sessionView }, ...problemResponses(400, 401, 403, 404) },
  })
  get(@Valid('params') params: { id: string }) {
    return this.sessions.get(params.id);
  }

  @Post(':id/turns')
  @Route({
    operationId: 'runTurn',
    summary:
      'Run one turn: Server-Sent Events with Accept: text/event-stream, else JSON. An input over TURN_INPUT_MAX_BYTES is 413 payload_too_large; ' +
      'a failure after the stream opened ends it with an `error` event (problem+json as data); a client that falls SSE_MAX_BUFFERED_BYTES behind is disconnected (the turn goes on and is recorded)',
    tag: 'Sessions',
    access: app,
    params: sessionIdParams,
    body: turnBody,
    bodyExample: turnExample,
    headers: {
      ...endUserHeader,
      Accept: { description: 'text/event-stream for a stream of events', required: false },
      'Idempotency-Key': {
        description:
          'Same key and body within 24 h is the same turn: answered again when it ended, attached to while it runs (Idempotent-Replayed: true); the provider is called once. ' +
          'Same key, other body: 409. A turn the provider refused (never accepted) gives its key back',
        required: false,
        pattern: idempotencyKeyPattern,
      },
    },
    responses: {
      200: { description: 'The finished turn (JSON), or its events (text/event-stream)', schema: turnView, example: turnResultExample, eventStream: turnStreamData, headers: replayedHeader },
      ...problemResponses(400, 401, 403, 404, 409, 410, 413, 429, 502, 503, 504),
    },
  })
  turn(
    @Valid('params') params: { id: string },
    @Valid('body') body: TurnBody,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
    @Req() request: Request,
    @Res() response: Response,
  ) {
    checkIdempotencyKey(idempotencyKey);
    const { sseHeartbeatMs, sseMaxBufferedBytes } = this.config.content;
    return this.turns.run(params.id, body, turnDeliveryFor(request, response, { heartbeatMs: sseHeartbeatMs, maxBufferedBytes: sseMaxBufferedBytes }), idempotencyKey);
  }

  @Get(':id/turns/:turnId')
  @Route({
    operationId: 'getTurn',
    summary: 'One turn of the session, also while it runs (status running, completed, failed or requires_action)',
    tag: 'Sessions',
    access: app,
    params: turnIdParams,
    headers: endUserHeader,
    responses: { 200: { description: 'The turn', schema: turnResourceView }, ...problemResponses(400, 401, 403, 404) },
  })
  getTurn(@Valid('params') params: { id: string; turnId: string }) {
    return this.turnResources.view(sessionCaller(), params.id, params.turnId);
  }

  @Get(':id/turns/:turnId/events')
  @Route({
    operationId: 'listTurnEvents',
    summary:
      "The turn's events. With Accept: text/event-stream: its stored events after Last-Event-ID (or `after`), then its live events (message.delta included) " +
      'until turn.completed or turn.failed, from any replica whichever replica runs the turn; each SSE `id:` is the event seq, to resume with Last-Event-ID. ' +
      'A follower counts as an open stream of the replica (LIMIT_MAX_OPEN_STREAMS_PER_REPLICA: 503 replica_at_capacity). Otherwise: the stored events as JSON',
    tag: 'Sessions',
    access: app,
    params: turnIdParams,
    query: turnEventsQuery,
    headers: {
      ...endUserHeader,
      Accept: { description: 'text/event-stream to follow the turn live', required: false },
      'Last-Event-ID': { description: 'The seq of the last event the client has: the stream resumes after it', required: false, pattern: lastEventIdPattern },
    },
    responses: {
      200: { description: 'Stored events after `after` (JSON), or the turn followed live (text/event-stream)', schema: eventPage, eventStream: turnStreamData },
      ...problemResponses(400, 401, 403, 404, 503),
    },
  })
  async turnEvents(
    @Valid('params') params: { id: string; turnId: string },
    @Valid('query') query: TurnEventsQuery,
    @Headers('last-event-id') lastEventId: string | undefined,
    @Req() request: Request,
    @Res() response: Response,
  ) {
    if (lastEventId !== undefined && !lastEventIdPattern.test(lastEventId.trim())) {
      throw invalidRequest('Last-Event-ID must be an event seq', [{ path: 'headers.last-event-id', message: 'must be a non-negative integer' }]);
    }
    const after = lastEventId !== undefined ? Number(lastEventId.trim()) : (query.after ?? 0);
    const caller = sessionCaller();
    if (!wantsEventStream(request)) {
      response.status(200).json(await this.turnResources.events(caller, params.id, params.turnId, after, query.limit));
      return;
    }
    const { sseHeartbeatMs, sseMaxBufferedBytes } = this.config.content;
    await this.follower.follow(caller, params.id, params.turnId, after, followDeliveryFor(response, { heartbeatMs: sseHeartbeatMs, maxBufferedBytes: sseMaxBufferedBytes }));
  }

  @Post(':id/turns/:turnId/cancel')
  @Route({
    operationId: 'cancelTurn',
    summary:
      'Cancel a running turn, from any replica: 202 with the turn as it is now; the turn ends with turn.failed code `cancelled`, the provider interrupted ' +
      'where it has a way to (otherwise its stream is closed), its usage metered and its budget reservation settled; the session stays usable. An ended turn: 200 with its final view',
    tag: 'Sessions',
    access: app,
    params: turnIdParams,
    headers: endUserHeader,
    responses: {
      200: { description: 'The turn had already ended: its final view', schema: turnResourceView },
      202: { description: 'The cancel is on its way to the replica running the turn', schema: turnResourceView },
      ...problemResponses(400, 401, 403, 404, 503),
    },
  })
  async cancelTurn(@Valid('params') params: { id: string; turnId: string }, @Res() response: Response) {
    const { accepted, view } = await this.turnResources.cancel(sessionCaller(), params.id, params.turnId, this.cancellations);
    response.status(accepted ? 202 : 200).json(view);
  }

  @Get(':id/events')
  @Route({
    operationId: 'listSessionEvents',
    summary:
      'The stored transcript (every event type except message.delta), in seq order. A page holds at most `limit` events and at most EVENTS_PAGE_MAX_BYTES of event data ' +
      '(one event always, whatever its size): a page cut short by bytes has a `nextAfter` to continue from',
    tag: 'Sessions',
    access: app,
    params: sessionIdParams,
    query: listEventsQuery,
    headers: endUserHeader,
    responses: { 200: { description: 'Events after `after`', schema: eventPage }, ...problemResponses(400, 401, 403, 404) },
  })
  events(@Valid('params') params: { id: string }, @Valid('query') query: { after: number; limit: number }) {
    return this.sessions.events(params.id, query.after, query.limit);
  }

  @Delete(':id')
  @Route({
    operationId: 'terminateSession',
    summary: 'Terminate the session (idempotent); the provider session is stopped',
    tag: 'Sessions',
    access: app,
    params: sessionIdParams,
    headers: endUserHeader,
    responses: { 200: { description: 'The terminated session', schema: sessionView }, ...problemResponses(400, 401, 403, 404) },
  })
  terminate(@Valid('params') params: { id: string }) {
    return this.sessions.terminate(params.id);
  }
}
