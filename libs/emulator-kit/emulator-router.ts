import type { IncomingMessage, OutgoingHttpHeaders, RequestListener, ServerResponse } from 'node:http';
import { z } from 'zod';
import { handleControlRequest, type ControlContext } from './control-routes.js';
import type { EmulatorLogger } from './emulator-logger.js';
import type { Fault } from './fault-plan.js';
import { playTransportFault } from './fault-playback.js';
import { bufferRequestBody, readJsonBody, sendJson } from './http-helpers.js';
import { routeMatcher, type RouteMatch, type RouteSpec } from './route-matcher.js';

/** Everything a route handler gets about its request. */
export interface RouteCall {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  /** Path captures, URL-decoded. */
  params: Record<string, string>;
  requestId: string;
  /** The fault drawn for this call; only streaming routes see one, the router plays it for the others. */
  fault?: Fault;
}

/** One operation of an emulated API. */
export interface EmulatorRoute<Result = unknown> extends RouteSpec {
  /** The operation name for stats and faults, e.g. `sessions.create`. */
  op: string;
  /** The handler plays stream-shaping faults (delay, stall, truncate) itself. */
  streaming?: boolean;
  handle(call: RouteCall): Result | Promise<Result>;
}

/** An error as the provider's API answers it. */
export interface ErrorAnswer {
  status: number;
  body: unknown;
  headers?: OutgoingHttpHeaders;
}

/**
 * What makes one emulator's front door its provider's: the checks it runs
 * and how it words errors. Hooks that refuse a request throw, and the
 * thrown value goes through {@link errorAnswer}.
 */
export interface EmulatorRouterOptions<R extends EmulatorRoute> extends ControlContext {
  routes: readonly R[];
  logger: EmulatorLogger;
  /** A fresh request id, set on every response under each of {@link requestIdHeaders}. */
  newRequestId(): string;
  requestIdHeaders: readonly string[];
  /** Answers a request outside the API and the control plane (e.g. a CA download); true when it did. */
  serveExtra?(req: IncomingMessage, res: ServerResponse, url: URL): boolean;
  /** Checks before routing: credentials, required headers. */
  admit(req: IncomingMessage, url: URL): void;
  /** The error for a request line no route matches. */
  notFound(method: string, pathname: string): unknown;
  /** Checks once the route is known, before it counts (e.g. a required query parameter). */
  accept?(found: RouteMatch<R>, url: URL): void;
  /** The provider's answer to an injected `status` fault; the fault's own body and headers win. */
  statusFault(status: number, route: R, requestId: string): { body: unknown; headers?: OutgoingHttpHeaders };
  /** The provider's answer to anything a check or handler threw. */
  errorAnswer(error: unknown, requestId: string): ErrorAnswer;
  /** Writes what a handler returned; by default handlers write their own response. */
  answer?(result: Awaited<ReturnType<R['handle']>>, call: RouteCall, route: R): void;
}

/**
 * An emulator's front door, the same pipeline for every HTTP emulator. In
 * order: a request id on the response, the provider's extra endpoints, the
 * shared `/_emulator/` control plane, the provider's admission checks, the
 * route, its own checks, a stats count for its op, the op's next fault,
 * then the handler. A failure before the response started is answered in
 * the provider's error format; after, the connection is cut (a stream
 * cannot change its status any more).
 */
export function createEmulatorRouter<R extends EmulatorRoute>(options: EmulatorRouterOptions<R>): RequestListener {
  const match = routeMatcher(options.routes);
  return (req, res) => {
    const requestId = options.newRequestId();
    for (const header of options.requestIdHeaders) res.setHeader(header, requestId);
    handle(req, res, requestId, options, match).catch((error: unknown) => renderError(res, requestId, error, options));
  };
}

async function handle<R extends EmulatorRoute>(
  req: IncomingMessage,
  res: ServerResponse,
  requestId: string,
  options: EmulatorRouterOptions<R>,
  match: ReturnType<typeof routeMatcher<R>>,
): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://emulator');
  if (options.serveExtra?.(req, res, url)) return;
  if (await handleControlRequest(req, res, options)) return;
  options.admit(req, url);
  const found = match(req.method ?? 'GET', url.pathname);
  if (!found) throw options.notFound(req.method ?? 'GET', url.pathname);
  options.accept?.(found, url);
  const { route, params } = found;
  options.stats.count(route.op);
  const fault = options.faults.take(route.op);
  // A late answer still does the work when the caller has gone (fault-plan.ts), so its body is read before the wait.
  if (fault?.kind === 'delay' && !route.streaming) await bufferRequestBody(req);
  if (fault && (await playFault(fault, route, res, requestId, options)) === 'answered') return;
  const call: RouteCall = { req, res, url, params, requestId, fault: route.streaming ? fault : undefined };
  const result = (await route.handle(call)) as Awaited<ReturnType<R['handle']>>;
  options.answer?.(result, call, route);
}

/**
 * Plays a fault before the handler runs: `status` answers with that error in
 * the provider's format (the work never happens); the other kinds go to
 * {@link playTransportFault}.
 */
async function playFault<R extends EmulatorRoute>(fault: Fault, route: R, res: ServerResponse, requestId: string, options: EmulatorRouterOptions<R>): Promise<'answered' | 'continue'> {
  if (fault.kind !== 'status') return playTransportFault(fault, res, { streaming: route.streaming === true });
  const answer = options.statusFault(fault.status, route, requestId);
  sendJson(res, fault.status, fault.body ?? answer.body, { ...answer.headers, ...fault.headers });
  return 'answered';
}

function renderError<R extends EmulatorRoute>(res: ServerResponse, requestId: string, error: unknown, options: EmulatorRouterOptions<R>): void {
  if (res.headersSent) {
    options.logger.error({ err: error, requestId }, 'emulator failed mid-response');
    res.destroy();
    return;
  }
  const answer = options.errorAnswer(error, requestId);
  if (answer.status >= 500) options.logger.error({ err: error, requestId }, 'emulator request failed');
  sendJson(res, answer.status, answer.body, answer.headers);
}

/** Parses the JSON body with `schema`; a missing body counts as `{}`. */
export async function readBody<Schema extends z.ZodType>(req: IncomingMessage, schema: Schema): Promise<z.infer<Schema>> {
  return schema.parse((await readJsonBody(req)) ?? {});
}

/** A schema failure as one line naming each bad field (`body` for the whole), for a 400's message. */
export function describeIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.join('.') || 'body'}: ${issue.message}`).join('; ');
}
