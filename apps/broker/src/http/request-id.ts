import type { NextFunction, Request, Response } from 'express';
import { newId } from '#libs/ids';

const acceptable = /^[A-Za-z0-9._:-]{1,128}$/;
const requestIdKey = Symbol('switchboard:request-id');

type WithRequestId = Request & { [requestIdKey]?: string };

/** Accepts the caller's `X-Request-Id` when well-formed, else mints one; echoes it. */
export function assignRequestId(request: Request, response: Response, next: NextFunction): void {
  const offered = request.header('x-request-id');
  const requestId = offered && acceptable.test(offered) ? offered : newId('req');
  (request as WithRequestId)[requestIdKey] = requestId;
  response.setHeader('X-Request-Id', requestId);
  next();
}

export function requestIdOf(request: Request): string {
  return (request as WithRequestId)[requestIdKey] ?? 'unknown';
}
