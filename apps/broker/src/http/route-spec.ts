import { applyDecorators, createParamDecorator, HttpCode, SetMetadata, type ExecutionContext } from '@nestjs/common';
import type { z } from 'zod';
import type { TenantRole } from '#libs/request-context';

/**
 * Who may call a route.
 * - `public`: no credential (health, metrics, docs).
 * - `operator`: the platform operator key only.
 * - `tenant`: a tenant credential with one of `roles`; `endUser` routes bind
 *   the call to an end user (`X-End-User` for API keys, `sub` for JWTs).
 * - `operator` may additionally be allowed on a tenant route with `operator: true`.
 */
export type RouteAccess =
  | { kind: 'public' }
  | { kind: 'operator' }
  | { kind: 'tenant'; roles: readonly TenantRole[]; endUser?: boolean; operator?: boolean };

export interface RouteResponse {
  description: string;
  schema?: z.ZodType;
  /** Defaults to application/json. */
  contentType?: string;
  /**
   * The route also answers this status as Server-Sent Events (with
   * `Accept: text/event-stream`): the schema of one event's `data`.
   */
  eventStream?: z.ZodType;
  /** A typical body, checked against `schema` when the document is built. */
  example?: unknown;
  /** Response headers worth a client's attention, by name: their description. */
  headers?: Record<string, string>;
}

/**
 * The one description of a route: who may call it, what it accepts and what
 * it answers. The auth guard, the validation guard and the OpenAPI
 * document all read it, so they cannot disagree.
 */
export interface RouteSpec {
  operationId: string;
  summary: string;
  tag: string;
  access: RouteAccess;
  params?: z.ZodObject;
  query?: z.ZodObject;
  body?: z.ZodType;
  /** A typical body, checked against `body` when the document is built. */
  bodyExample?: unknown;
  /** Request headers the route reads, documented in OpenAPI. */
  headers?: Record<string, { description: string; required: boolean; /** The form the route checks it against. */ pattern?: RegExp }>;
  responses: Record<number, RouteResponse>;
}

export const routeSpecKey = Symbol('switchboard:route-spec');

/** The status a route answers when it succeeds: its first documented 2xx. */
export const successStatusOf = (spec: RouteSpec): number =>
  Object.keys(spec.responses)
    .map(Number)
    .find((status) => status >= 200 && status < 300) ?? 200;

export function Route(spec: RouteSpec): MethodDecorator {
  return applyDecorators(SetMetadata(routeSpecKey, spec), HttpCode(successStatusOf(spec)));
}

/** The parsed and validated `params`, `query` or `body` of the current request. */
export const Valid = createParamDecorator((part: 'params' | 'query' | 'body', context: ExecutionContext) => {
  const request = context.switchToHttp().getRequest<{ validated?: Record<string, unknown> }>();
  return request.validated?.[part];
});
